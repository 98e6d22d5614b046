"""The front desk (find a donor, check in, today's visits) and a visit: screening, the
decision, the collection."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.donors import rules
from blood.donors import schemas as donor_schemas
from blood.donors import service as donors
from blood.donors.messages import DONATION_REACTIONS, QUESTION_LABELS, RAPID_TEST_LABELS, describe
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.models import VisitStatus
from blood.plasma.views import bp, station_actor
from blood.web import submit

# --- the front desk --------------------------------------------------------------------------


@bp.get("/")
@login_required
def desk():
    """The front desk: find a donor, check in, today's visits."""
    actor = require_actor()
    visits = plasma.visits_today(session=db.session(), actor=actor)
    return render_template(
        "plasma/desk.html",
        visits=visits,
        errors={},
        form={},
        check_in=plasma.CHECK_IN.for_actor(actor),
        register=donors.REGISTER.for_actor(actor),
    )


@bp.post("/check-in")
@login_required
def check_in():
    actor = station_actor()
    result = submit(
        schemas.CheckInIn(),
        lambda data: plasma.check_in(session=db.session(), actor=actor, **data),
        refusals=(plasma.NotRegistered, donors.RegisteredElsewhere),
        field="resident_id",
    )
    if result.ok:
        return redirect(url_for("plasma.visit", visit_id=result.value.id))
    flash(" ".join(result.messages()), "error")
    return redirect(url_for("plasma.desk")), 303


# --- a visit: screening, decision, collection ----------------------------------------------


def _visit_page(page: plasma.VisitOverview, *, errors: dict | None = None, form=None):
    zone = ZoneInfo(page.station.timezone)
    return (
        render_template(
            "plasma/visit.html",
            visit=page.visit,
            donor=page.donor,
            unit=page.unit,
            decision=page.decision,
            limit=page.limit,
            next_step=page.next_step,
            describe=describe,
            questions=QUESTION_LABELS,
            rapid_tests=RAPID_TEST_LABELS,
            reactions=DONATION_REACTIONS,
            errors=errors or {},
            form=form if form is not None else {},
            now=datetime.now(zone).strftime("%Y-%m-%dT%H:%M"),
            VisitStatus=VisitStatus,
        ),
        422 if errors else 200,
    )


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    page = plasma.visit_overview(session=db.session(), actor=require_actor(), visit_id=visit_id)
    return _visit_page(page)


def _screening_form_data() -> dict:
    """Checkboxes and yes/no radios of the form, as the schema's mappings."""
    form = request.form
    data = {k: v for k, v in form.items() if k in donor_schemas.SCREENING_FIELDS and "." not in k}
    data["rapid_tests"] = {
        code: form.get(f"rapid.{code}") == "reactive" for code in rules.RAPID_TESTS
    }
    data["questionnaire"] = {
        code: form.get(f"q.{code}") == "yes" for code in rules.QUESTIONNAIRE if f"q.{code}" in form
    }
    return data


@bp.post("/visits/<int:visit_id>/screening")
@login_required
def screening(visit_id: int):
    actor, session = require_actor(), db.session()
    page = plasma.visit_overview(session=session, actor=actor, visit_id=visit_id)
    result = submit(
        donor_schemas.ScreeningIn(),
        lambda data: plasma.record_screening(
            session=session, actor=actor, visit_id=visit_id, data=rules.Screening(**data)
        ),
        data=_screening_form_data(),
    )
    if not result.ok:
        return _visit_page(page, errors=result.errors, form=request.form)
    updated, _decision = result.value
    return redirect(url_for("plasma.visit", visit_id=updated.id))


@bp.post("/visits/<int:visit_id>/collection")
@login_required
def collection(visit_id: int):
    actor, session = require_actor(), db.session()
    page = plasma.visit_overview(session=session, actor=actor, visit_id=visit_id)
    zone = ZoneInfo(page.station.timezone)

    def collect(data: dict):
        # The form's datetime-local fields carry no offset: they are the station's time.
        data["started_at"] = data["started_at"].replace(tzinfo=zone)
        data["ended_at"] = data["ended_at"].replace(tzinfo=zone)
        return plasma.record_collection(
            session=session, actor=actor, visit_id=visit_id, data=plasma.CollectionInput(**data)
        )

    result = submit(schemas.CollectionFormIn(), collect)
    if not result.ok:
        return _visit_page(page, errors=result.errors, form=request.form)
    flash(_("Collected: DIN %(din)s.", din=result.value.din), "success")
    return redirect(url_for("plasma.label", din=result.value.din))
