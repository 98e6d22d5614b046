"""A component's label, a donation's and a dispatch's labels, and a dispatch note."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import barcodes, db
from blood.accounts.auth import require_actor
from blood.errors import NotFound
from blood.stock.service import labels as papers
from blood.stock.views import bp


def _labels_page(title: str, labels, back_url: str | None = None):
    return render_template(
        "stock/labels.html",
        title=title,
        labels=labels,
        back_url=back_url,
        barcode=barcodes.svg_data_uri,
    )


@bp.get("/units/<int:unit_id>/label")
@login_required
def unit_label(unit_id: int):

    labels = papers.unit_labels(session=db.session(), actor=require_actor(), unit_id=unit_id)
    return _labels_page(_("Label of unit %(din)s", din=labels[0].unit.din), labels)


@bp.get("/donations/<int:donation_id>/labels")
@login_required
def donation_labels(donation_id: int):

    labels = papers.donation_labels(
        session=db.session(), actor=require_actor(), donation_id=donation_id
    )
    return _labels_page(
        _("Labels of the donation's components"),
        labels,
        url_for("stock.donation", donation_id=donation_id),
    )


@bp.get("/dispatches/<int:dispatch_id>/labels")
@login_required
def dispatch_labels(dispatch_id: int):

    found = papers.dispatch_papers(
        session=db.session(), actor=require_actor(), dispatch_id=dispatch_id
    )
    return _labels_page(
        _("Labels of dispatch %(number)s", number=found.dispatch.number),
        found.labels,
        url_for("stock.dispatch", dispatch_id=dispatch_id),
    )


@bp.get("/dispatches/<int:dispatch_id>/note")
@login_required
def dispatch_note(dispatch_id: int):
    found = papers.dispatch_papers(
        session=db.session(), actor=require_actor(), dispatch_id=dispatch_id
    )
    return render_template("stock/dispatch_note.html", papers=found, barcode=barcodes.svg_data_uri)


@bp.get("/dispatches/scan")
@login_required
def scan_dispatch():
    """A scanned (or typed) dispatch number opens that dispatch, if the actor may see it."""
    number = request.args.get("number", "")
    try:
        found = papers.dispatch_by_number(
            session=db.session(), actor=require_actor(), scanned=number
        )
    except NotFound:
        flash(_("No dispatch with the number %(number)s here.", number=number.strip()), "error")
        return redirect(request.referrer or url_for("core.home"))
    return redirect(url_for("stock.dispatch", dispatch_id=found.id))
