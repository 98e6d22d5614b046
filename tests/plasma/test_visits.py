"""Visits through the services: check-in by resident ID, the screening and its decision,
each step's role."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import Collection, VisitStatus
from tests.conftest import make_resident_id
from tests.helpers import GOOD_SCREENING, as_user, past_collection


def test_check_in_needs_the_resident_id_not_the_card(app, session, world, donor):
    with app.app_context(), pytest.raises(ValidationFailed):
        plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=donor.card_number,
        )


def test_check_in_twice_the_same_day_returns_the_same_visit(app, session, world, donor):
    with app.app_context():
        registrar = as_user(session, world, "sca.registrar")
        first = plasma.check_in(session=session, actor=registrar, resident_id=make_resident_id())
        again = plasma.check_in(session=session, actor=registrar, resident_id=make_resident_id())
    assert first.id == again.id


def test_screening_refusal_lists_every_reason_and_blocks_collection(app, session, world, visit):
    with app.app_context():
        bad = replace(GOOD_SCREENING, weight_kg=48, systolic=145)
        visit, decision = plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=bad,
        )
        assert visit.status == VisitStatus.INELIGIBLE
        assert {r.code for r in decision.reasons} == {"weight_too_low", "systolic_out_of_range"}
        with pytest.raises(Conflict):
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=visit.id,
                data=plasma.CollectionInput(
                    "M", "K", datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC), 500, 50
                ),
            )
    assert session.exec(select(Collection)).all() == []


@pytest.mark.parametrize("days_ago, eligible", [(14, False), (15, True)])
def test_interval_since_the_last_donation_anywhere(app, session, world, donor, days_ago, eligible):
    with app.app_context():
        past_collection(session, donor, world.org("S-CA"), days_ago)
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        _visit, decision = plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
    assert decision.eligible is eligible
    if not eligible:
        assert [r.code for r in decision.reasons] == ["interval"]
        assert decision.next_eligible_on == visit.visit_date + timedelta(days=1)


def test_roles_are_enforced_at_each_step(app, session, world, donor):
    with app.app_context():
        with pytest.raises(Forbidden):
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                resident_id=make_resident_id(),
            )
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        with pytest.raises(Forbidden):
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                visit_id=visit.id,
                data=GOOD_SCREENING,
            )
        with pytest.raises(NotFound):
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "swz.physician"),
                visit_id=visit.id,
                data=GOOD_SCREENING,
            )


def test_screening_needs_every_questionnaire_answer(app, session, world, visit):
    with app.app_context():
        partial = replace(GOOD_SCREENING, questionnaire={"feels_well": True})
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_screening(
                session=session,
                actor=as_user(session, world, "sca.physician"),
                visit_id=visit.id,
                data=partial,
            )
    assert "questionnaire.recent_illness" in refused.value.fields
    assert visit.screened_at is None
