"""The quality manager's collection deviations: accept, or reject and discard."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.deviations import STATUS_LABELS as DEVIATION_STATUS_LABELS
from blood.errors import Conflict
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.views import bp
from blood.web import confirmation_page, confirmed, flash_errors, load_form, submit


@bp.get("/deviations")
@login_required
def deviations():
    overview = stock.deviations_overview(session=db.session(), actor=require_actor())
    return render_template(
        "stock/deviations.html",
        overview=overview,
        deviation_label=stock.deviation_label,
        deviation_statuses=DEVIATION_STATUS_LABELS,
    )


@bp.post("/deviations/<int:donation_id>")
@login_required
def decide(donation_id: int):
    actor, session = require_actor(), db.session()
    data, errors = load_form(
        schemas.DeviationDecisionIn(),
        {"decision": request.form.get("decision", ""), "note": request.form.get("note", "")},
    )
    if errors:
        flash_errors(errors)
        return redirect(url_for("stock.deviations")), 303
    if data["decision"] == "reject" and not confirmed():
        found = stock.get_donation(session=session, actor=actor, donation_id=donation_id)
        return confirmation_page(
            title=_("Reject the deviation of %(din)s?", din=found.din),
            message=_(
                "Every component of this donation the centre holds is discarded, and nothing "
                "more may be made from it."
            ),
            items=[data["note"]],
            cancel_url=url_for("stock.deviations"),
            button=_("Reject and discard its components"),
        )
    result = submit(
        None,
        lambda _data: stock.decide_deviation(
            session=session, actor=actor, donation_id=donation_id, **data
        ),
        refusals=(Conflict,),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(url_for("stock.deviations")), 303
    if data["decision"] == "accept":
        flash(_("Deviation accepted: its components may be released once tested."), "success")
    else:
        flash(_("Deviation rejected: %(n)d components discarded.", n=len(result.value)), "success")
    return redirect(url_for("stock.deviations"))
