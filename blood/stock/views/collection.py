"""The blood centre's collection: a donation, its components, and the resolution of a
group discrepancy."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.deviations import STATUS_LABELS as DEVIATION_STATUS_LABELS
from blood.donors import rules
from blood.donors.messages import QUESTION_LABELS
from blood.donors.schemas import SCREENING_FIELDS
from blood.donors.service import RegisteredElsewhere
from blood.errors import Conflict, NotFound
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.views import bp
from blood.web import Submission, flash_errors, submit


def _donation_input(data: dict[str, Any]) -> stock.BloodDonationInput:
    """The loaded form as the service's input, the measured screening fields apart."""
    screening = {k: data.pop(k) for k in list(data) if k in SCREENING_FIELDS}
    return stock.BloodDonationInput(
        donor=data["donor"],
        kind=data["kind"],
        volume_ml=data["volume_ml"],
        adverse_reaction=data.get("adverse_reaction"),
        deviation_reason=data.get("deviation_reason"),
        screening=rules.Screening(**screening),
    )


@bp.route("/collect", methods=["GET", "POST"])
@login_required
def collect():
    actor, session = require_actor(), db.session()
    stock.acting_centre(session=session, actor=actor)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        result = submit(
            schemas.BloodDonationIn(),
            lambda data: stock.record_blood_donation(
                session=session, actor=actor, data=_donation_input(data)
            ),
            # An unknown donor, or one of another station, is a message beside the donor field.
            refusals=(RegisteredElsewhere, NotFound),
            field="donor",
        )
        if result.ok:
            donation = result.value
            if donation.kind == "whole_blood":
                flash(_("Whole blood collected: DIN %(din)s.", din=donation.din), "success")
            else:
                flash(_("Apheresis platelets collected: DIN %(din)s.", din=donation.din), "success")
            if donation.deviation:
                flash(
                    _(
                        "Recorded with a deviation: nothing made from it is released until "
                        "the quality manager decides."
                    ),
                    "info",
                )
            return redirect(url_for("stock.donation", donation_id=donation.id))
    return (
        render_template(
            "stock/collect.html",
            collect=stock.COLLECT.for_actor(actor),
            errors=result.errors,
            form=request.form,
            questions=QUESTION_LABELS,
            tolerance=stock.volume_tolerance_percent(session=session),
        ),
        result.status,
    )


def _component_rows() -> list[dict[str, str]]:
    """The filled rows of the components form (four rows; a row without a code is empty)."""
    rows = []
    for index in range(4):
        code = request.form.get(f"product_code.{index}", "").strip()
        if code:
            rows.append(
                {
                    "product_code": code,
                    "volume_ml": request.form.get(f"volume_ml.{index}", ""),
                    "division": request.form.get(f"division.{index}", "") or "00",
                }
            )
    return rows


@bp.route("/donations/<int:donation_id>", methods=["GET", "POST"])
@login_required
def donation(donation_id: int):
    actor, session = require_actor(), db.session()
    found = stock.get_donation(session=session, actor=actor, donation_id=donation_id)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        result = submit(
            schemas.ComponentsIn(),
            lambda data: stock.produce_components(
                session=session,
                actor=actor,
                donation_id=found.id,
                components=[stock.ComponentInput(**c) for c in data["components"]],
            ),
            data={"components": _component_rows()},
            refusals=(Conflict,),
        )
        if result.ok:
            flash(_("Components recorded; they wait for test results."), "success")
            return redirect(url_for("stock.donation", donation_id=found.id))
    page = stock.donation_page(session=session, actor=actor, donation=found)
    return (
        render_template(
            "stock/donation.html",
            donation=found,
            page=page,
            products=page.products,
            errors=result.errors,
            form=request.form,
            deviation_label=stock.deviation_label,
            deviation_statuses=DEVIATION_STATUS_LABELS,
            marker_label=stock.marker_label,
            result_words=stock.RESULT_WORDS,
            states=stock.STATE_WORDS,
            reasons=stock.DISCARD_REASONS,
            ratio=page.component_ratio,
            groups=stock.GROUPS,
        ),
        result.status,
    )


@bp.post("/donations/<int:donation_id>/group")
@login_required
def resolve_group(donation_id: int):
    """The quality manager resolves a group discrepancy with the repeat test's group."""
    actor, session = require_actor(), db.session()
    group = request.form.get("group", "")
    result = submit(
        schemas.GroupResolutionIn(),
        lambda data: stock.resolve_group_discrepancy(
            session=session, actor=actor, donation_id=donation_id, **data
        ),
        data={"abo": group[:-1], "rhd": group[-1:], "note": request.form.get("note", "")},
        refusals=(Conflict,),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(url_for("stock.donation", donation_id=donation_id)), 303
    flash(_("Group discrepancy resolved; the units carry the group of the repeat test."), "success")
    return redirect(url_for("stock.donation", donation_id=donation_id))
