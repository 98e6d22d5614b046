"""Shipments to plasma manufacturers: the list, a new shipment, and the receipt."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.listing import load_list_query
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.views import bp, station_actor
from blood.web import confirmation_page, confirmed, load_form, submit


@bp.get("/shipments")
@login_required
def shipments():
    """Shipments sent or to receive: sender, receiver, units and weight; searched, filtered,
    sorted and paged in the URL (a bad parameter: 422 beside its field)."""
    actor, session = require_actor(), db.session()
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.ShipmentListIn(), args)
    page = plasma.shipment_list(
        session=session, actor=actor, query=plasma.ShipmentListQuery(**params)
    )
    body = render_template(
        "plasma/shipments.html",
        shipments=page.items,
        page=page,
        args=args,
        errors=errors,
        parties=plasma.shipment_counterparts(session=session, actor=actor),
    )
    return body, 422 if errors else 200


@bp.route("/shipments/new", methods=["GET", "POST"])
@login_required
def new_shipment():
    """A new shipment: the "Ship all N" button names the N released units the page showed
    (hidden fields), "Ship the ticked units" the ticked ones; the shipment is confirmed
    first, listing the units."""
    actor, session = station_actor(), db.session()
    choices = plasma.shipment_choices(session=session, actor=actor)
    errors: dict = {}
    if request.method == "POST":
        everything = request.form.get("ship") == "all"
        payload = {
            "manufacturer_code": request.form.get("manufacturer_code", ""),
            "dins": request.form.getlist("released" if everything else "din"),
            "box_size": request.form.get("box_size", ""),
        }
        data, errors = load_form(schemas.ShipmentIn(), payload)
        names = {m.code: m.name(str(get_locale())) for m in choices.manufacturers}
        if not errors and not data["dins"]:
            errors = {"dins": [_("Tick the units to ship, or use “Ship all”.")]}
        if not errors and data["manufacturer_code"] not in names:
            errors = {"manufacturer_code": [_("Choose a manufacturer from the list.")]}
        if not errors and not confirmed():
            return confirmation_page(
                title=_("Ship these units?"),
                message=_(
                    "Units to ship to %(manufacturer)s: %(n)d. Once shipped they leave the "
                    "station's stock.",
                    manufacturer=names[data["manufacturer_code"]],
                    n=len(data["dins"]),
                ),
                items=data["dins"],
                cancel_url=url_for("plasma.new_shipment"),
                button=_("Ship %(n)d units", n=len(data["dins"])),
            )
        if not errors:
            result = submit(
                None, lambda _d: plasma.build_shipment(session=session, actor=actor, **data)
            )
            if result.ok:
                shipment = result.value
                flash(_("Shipment %(number)s is on its way.", number=shipment.number), "success")
                return redirect(url_for("plasma.shipment", shipment_id=shipment.id))
            errors = result.errors
            choices = plasma.shipment_choices(session=session, actor=actor)
    return (
        render_template(
            "plasma/shipment_new.html",
            units=choices.units,
            manufacturers=choices.manufacturers,
            errors=errors,
            form=request.form,
            ticked=set(request.form.getlist("din")),
            ship=plasma.SHIP.for_actor(actor),
        ),
        422 if errors else 200,
    )


def _receipt_form_data() -> dict:
    """The receipt form's three lists of DINs (one a line, or separated by commas)."""
    discrepancies = []
    for kind in ("missing", "damaged", "extra"):
        for din in request.form.get(kind, "").replace(",", "\n").splitlines():
            if din.strip():
                discrepancies.append({"kind": kind, "din": din.strip()})
    return {"note": request.form.get("note", ""), "discrepancies": discrepancies}


@bp.route("/shipments/<int:shipment_id>", methods=["GET", "POST"])
@login_required
def shipment(shipment_id: int):
    actor, session = require_actor(), db.session()
    details = plasma.shipment_details(session=session, actor=actor, shipment_id=shipment_id)
    errors: dict = {}
    if request.method == "POST":
        form_data = _receipt_form_data()
        scanned = request.form.get("scanned", "")

        def receive(data: dict, *, write: bool):
            action = plasma.confirm_receipt if write else plasma.check_receipt
            extra = {"note": data.get("note")} if write else {}
            return action(
                session=session,
                actor=actor,
                shipment_id=details.shipment.id,
                discrepancies=[plasma.DiscrepancyInput(**d) for d in data["discrepancies"]],
                scanned=scanned,
                **extra,
            )

        # A receipt with discrepancies is final: checked first, then confirmed.
        ask_first = bool(form_data["discrepancies"]) and not confirmed()
        result = submit(
            schemas.ReceiptIn(), lambda data: receive(data, write=not ask_first), data=form_data
        )
        if ask_first and result.ok:
            kinds = {"missing": _("Missing"), "damaged": _("Damaged"), "extra": _("Extra")}
            return confirmation_page(
                title=_("Confirm the receipt with discrepancies?"),
                message=_(
                    "The receipt is confirmed once, with these discrepancies; it cannot be "
                    "changed afterwards."
                ),
                items=[f"{kinds[d['kind']]}: {d['din']}" for d in form_data["discrepancies"]],
                cancel_url=url_for("plasma.shipment", shipment_id=details.shipment.id),
                button=_("Confirm the receipt"),
            )
        if result.ok:
            flash(_("Receipt confirmed."), "success")
            return redirect(url_for("plasma.shipment", shipment_id=details.shipment.id))
        errors = result.errors
    return (
        render_template(
            "plasma/shipment.html",
            shipment=details.shipment,
            items=details.items,
            discrepancies=details.discrepancies,
            station=details.station,
            manufacturer=details.manufacturer,
            can_receive=details.can_receive,
            errors=errors,
            form=request.form,
        ),
        422 if errors else 200,
    )
