"""Units held: release tested ones (centre), act on them (hospital, centre), transfer them
(hospital to hospital), put back into stock after a return."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.listing import load_list_query
from blood.pagination import PageRequest
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.lifecycle import LIVE, Action, UnitState
from blood.stock.views import bp, chosen_ids
from blood.web import confirmation_page, confirmed, flash_errors, load_form, submit


@bp.route("/units", methods=["GET", "POST"])
@login_required
def units():
    """The organisation's live units: release tested ones (centre), act on them (hospital)."""
    actor, session = require_actor(), db.session()
    if request.method == "POST":
        everything = request.form.get("release") == "all"
        ids = chosen_ids("all_unit" if everything else "unit")
        if everything and not confirmed():
            return confirmation_page(
                title=_("Release all %(n)d units?", n=len(ids)),
                message=_(
                    "Each was checked: every required marker negative, the group confirmed, no "
                    "open or rejected deviation. Released units may be issued to hospitals."
                ),
                items=stock.unit_labels(session=session, actor=actor, unit_ids=ids),
                cancel_url=url_for("stock.units"),
                button=_("Release all %(n)d units", n=len(ids)),
            )
        result = submit(
            None, lambda _data: stock.release_tested(session=session, actor=actor, unit_ids=ids)
        )
        if not result.ok:
            flash_errors(result.errors)
            return redirect(url_for("stock.units")), 303
        flash(_("%(n)d units released for use.", n=len(result.value)), "success")
        return redirect(url_for("stock.units"))
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.UnitListIn(), args)
    page = stock.units_page(
        session=session,
        actor=actor,
        page=PageRequest(params.get("page", 1)),
        query=stock.UnitListQuery(**params),
    )
    body = render_template(
        "stock/units.html",
        args=args,
        errors=errors,
        group_options=[(g, g) for g in schemas.GROUP_NAMES],
        state_options=sorted(
            ((state.value, stock.STATE_WORDS[state]) for state in LIVE), key=lambda o: o[0]
        ),
        page=page,
        units=page.listed.items,
        hospitals=stock.other_hospitals(session=session, actor=actor),
        reasons=stock.MANUAL_DISCARD_REASONS,
        states=stock.STATE_WORDS,
    )
    return body, 422 if errors else 200


def _unit_question(action: str, unit) -> dict[str, str]:
    """What the confirmation step asks before each action on one unit."""
    label = unit.label
    if action == "discard":
        why = stock.DISCARD_REASONS.get(request.form.get("reason", ""), "")
        return {
            "title": _("Discard %(unit)s?", unit=label),
            "message": _("The unit is destroyed: this cannot be undone. Reason: %(why)s", why=why),
            "button": _("Discard the unit"),
        }
    if action == "return":
        return {
            "title": _("Return %(unit)s to the blood centre?", unit=label),
            "message": _(
                "The unit leaves this hospital's stock; the centre decides what becomes of it."
            ),
            "button": _("Return the unit"),
        }
    return {
        "title": _("Put %(unit)s back into the centre's stock?", unit=label),
        "message": _("Only after inspection: the unit may then be issued again."),
        "button": _("Put back into stock"),
    }


@bp.post("/units/<int:unit_id>/action")
@login_required
def unit_action(unit_id: int):
    actor, session = require_actor(), db.session()
    unit = stock.own_unit(session=session, actor=actor, unit_id=unit_id)
    form = {
        "din": unit.din,
        "product_code": unit.product_code,
        "division": unit.division,
        "action": request.form.get("action", ""),
        "reason": request.form.get("reason", ""),
    }
    data, errors = load_form(schemas.UnitActionIn(), form)
    if errors:
        flash_errors(errors)
        return redirect(url_for("stock.units")), 303
    if not confirmed():
        return confirmation_page(
            **_unit_question(data["action"], unit), cancel_url=url_for("stock.units")
        )
    result = submit(
        None,
        lambda _data: stock.hospital_action(
            session=session,
            actor=actor,
            unit=unit,
            action=Action(data["action"]),
            reason=data.get("reason"),
        ),
        refusals=(stock.TransitionRefused, stock.UnitExpired),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(url_for("stock.units")), 303
    flash(
        _(
            "Unit %(unit)s: %(state)s.",
            unit=unit.label,
            state=stock.STATE_WORDS[UnitState(unit.state)],
        ),
        "success",
    )
    return redirect(url_for("stock.units"))


@bp.post("/transfers")
@login_required
def transfer():
    actor, session = require_actor(), db.session()
    picked = stock.own_units(session=session, actor=actor, unit_ids=chosen_ids())
    result = submit(
        None,
        lambda data: stock.transfer_units(session=session, actor=actor, **data),
        data={"to_code": request.form.get("to", ""), "units": picked},
        refusals=(stock.TransitionRefused, stock.UnitExpired),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(url_for("stock.units")), 303
    flash(_("Transfer %(number)s sent.", number=result.value.number), "success")
    return redirect(url_for("stock.dispatch", dispatch_id=result.value.id))
