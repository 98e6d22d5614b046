"""Quarantine (release of units whose rules are met) and the quality manager's
deviations (over-limit collections)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.errors import Conflict
from blood.pagination import PageRequest
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.views import bp, station_actor
from blood.web import CONFIRMED, confirmation_page, confirmed, flash_errors, load_form, submit


def _posted() -> dict:
    """The posted form without the confirmation step's answer (``blood.web.confirmed``)."""
    return {k: v for k, v in request.form.items() if k != CONFIRMED}


# --- quarantine ----------------------------------------------------------------------------


@bp.get("/quarantine")
@login_required
def quarantine():
    actor = require_actor()
    page = plasma.quarantine_page(
        session=db.session(), actor=actor, page=PageRequest.from_args(request.args)
    )
    return render_template(
        "plasma/quarantine.html",
        page=page,
        describe_blocker=plasma.describe_blocker,
        release=plasma.RELEASE.for_actor(actor),
    )


@bp.post("/quarantine/release")
@login_required
def release():
    """Release from quarantine: the "Release all N" button names the N releasable units the
    page showed (hidden fields), "Release the ticked units" the ticked ones; nothing ticked
    releases nothing. Both are confirmed first, listing the units."""
    actor = station_actor()
    everything = request.form.get("release") == "all"
    dins = request.form.getlist("releasable" if everything else "din")
    back = url_for("plasma.quarantine")
    if not dins:
        flash(_("Tick the units to release, or use “Release all”."), "error")
        return redirect(back), 303
    if not confirmed():
        return confirmation_page(
            title=_("Release from quarantine?"),
            message=_(
                "Released units may be shipped to a manufacturer. Units to release: %(n)d.",
                n=len(dins),
            ),
            items=dins,
            cancel_url=back,
            button=_("Release %(n)d units", n=len(dins)),
        )
    result = submit(
        None, lambda _data: plasma.release_units(session=db.session(), actor=actor, dins=dins)
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(back), 303
    released, refused = result.value
    flash(_("%(n)d units released.", n=len(released)), "success")
    for din, blockers in refused.items():
        flash(
            _(
                "%(din)s was not released: %(why)s",
                din=din,
                why=" ".join(plasma.describe_blocker(b) for b in blockers),
            ),
            "error",
        )
    return redirect(back)


# --- deviations ----------------------------------------------------------------------------


def _deviations_page(errors: dict | None = None, failed: int | None = None):
    overview = plasma.deviations_overview(session=db.session(), actor=require_actor())
    return (
        render_template(
            "plasma/deviations.html",
            open_rows=overview.open,
            decided_rows=overview.decided,
            errors=errors or {},
            failed=failed,
            form=request.form if errors else {},
        ),
        422 if errors else 200,
    )


@bp.get("/deviations")
@login_required
def deviations():
    """The quality manager's deviations to decide (over-limit collections), oldest first."""
    station_actor()
    return _deviations_page()


@bp.post("/deviations/<int:collection_id>/decision")
@login_required
def decide_deviation(collection_id: int):
    actor = station_actor()
    data, errors = load_form(schemas.DeviationDecisionIn(), _posted())
    if errors:
        return _deviations_page(errors, failed=collection_id)
    if data["decision"] == "reject" and not confirmed():
        unit = plasma.get_deviation(session=db.session(), actor=actor, collection_id=collection_id)
        return confirmation_page(
            title=_("Reject the deviation and destroy the unit?"),
            message=_(
                "Unit %(din)s will be marked for destruction. This cannot be undone.",
                din=unit.din,
            ),
            items=[plasma.describe_deviation(unit), _("Why: %(why)s", why=data["note"])],
            cancel_url=url_for("plasma.deviations"),
            button=_("Reject and destroy"),
        )
    result = submit(
        None,
        lambda _data: plasma.decide_deviation(
            session=db.session(), actor=actor, collection_id=collection_id, **data
        ),
        refusals=(Conflict,),
    )
    if not result.ok:
        return _deviations_page(result.errors, failed=collection_id)
    unit = result.value
    if data["decision"] == "accept":
        flash(
            _("Deviation accepted: %(din)s follows the quarantine rules.", din=unit.din), "success"
        )
    else:
        flash(_("Deviation rejected: %(din)s is marked for destruction.", din=unit.din), "success")
    return redirect(url_for("plasma.deviations"))
