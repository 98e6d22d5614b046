"""A unit's label and its barcode, and the scan that finds a unit by its DIN."""

from __future__ import annotations

import io

import barcode as barcode_lib
from barcode.writer import SVGWriter
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import barcodes, db, isbt128
from blood.accounts.auth import require_actor
from blood.plasma import service as plasma
from blood.plasma.service import labels as papers
from blood.plasma.views import bp
from blood.web import FIELD_LABELS, submit

FIELD_LABELS.setdefault("scanned", _l("Scanned barcodes"))


@bp.get("/units/<din>/label")
@login_required
def label(din: str):
    found = plasma.unit_label(session=db.session(), actor=require_actor(), scanned=din)
    printed = papers.label_of(found.unit)
    return render_template(
        "plasma/label.html",
        unit=found.unit,
        donor=found.donor,
        labels=[printed],
        barcode=barcodes.svg_data_uri,
    )


@bp.get("/shipments/<int:shipment_id>/labels")
@login_required
def shipment_labels(shipment_id: int):
    found = papers.shipment_papers(
        session=db.session(), actor=require_actor(), shipment_id=shipment_id
    )
    return render_template(
        "plasma/shipment_labels.html",
        shipment=found.details.shipment,
        labels=found.labels,
        barcode=barcodes.svg_data_uri,
    )


@bp.get("/shipments/<int:shipment_id>/packing-list")
@login_required
def packing_list(shipment_id: int):
    found = papers.shipment_papers(
        session=db.session(), actor=require_actor(), shipment_id=shipment_id
    )
    return render_template(
        "plasma/packing_list.html",
        details=found.details,
        labels=found.labels,
        barcode=barcodes.svg_data_uri,
    )


@bp.get("/units/<din>/barcode.svg")
@login_required
def barcode(din: str):
    unit = plasma.find_unit(session=db.session(), actor=require_actor(), scanned=din)
    svg = io.BytesIO()
    code = barcode_lib.get("code128", isbt128.barcode_data(unit.din), writer=SVGWriter())
    code.write(svg, options={"write_text": False, "module_height": 12.0, "quiet_zone": 4.0})
    return Response(svg.getvalue(), mimetype="image/svg+xml")


@bp.route("/units/scan", methods=["GET"])
@login_required
def scan():
    actor = require_actor()
    scanned = request.args.get("din", "")
    result = submit(
        None,
        lambda _data: plasma.scan_unit(session=db.session(), actor=actor, scanned=scanned),
        refusals=(plasma.UnitNotHere,),
        field="din",
    )
    if not result.ok:
        flash(" ".join(result.messages()), "error")
        return redirect(request.referrer or url_for("plasma.desk"))
    return redirect(url_for("plasma.label", din=result.value.din))
