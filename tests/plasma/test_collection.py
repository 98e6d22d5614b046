"""Collection through the services: the unit and its DIN, the limit, impossible figures, and a
deferral recorded after the screening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood import isbt128
from blood.audit import AuditEvent
from blood.errors import Conflict, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import UnitState
from tests.helpers import as_user, collect_today, register


def test_full_day_gives_a_unit_with_a_valid_din(app, session, world, donor):
    with app.app_context():
        unit = collect_today(session, world, donor)
        second_donor = register(session, world, serial=125)
        second = collect_today(session, world, second_donor)
    year = datetime.now(UTC).year % 100
    assert unit.din == f"P3301{year:02d}000001" and second.din == f"P3301{year:02d}000002"
    assert isbt128.parse_din(unit.din + unit.check_character).din == unit.din
    assert unit.state == UnitState.QUARANTINE
    assert (unit.abo, unit.rhd) == ("A", "+")
    actions = session.exec(select(AuditEvent.action)).all()
    for action in ("visit.check_in", "visit.screen", "plasma.collect"):
        assert action in actions


def test_collection_over_the_limit_is_refused_not_truncated(app, session, world, donor):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        collect_today(session, world, donor, weight=600.1)
    assert "total_weight_g" in refused.value.fields
    assert "600" in refused.value.fields["total_weight_g"][0]


def test_collection_rejects_impossible_times_and_amounts(app, session, world, screened_visit):
    with app.app_context():
        now = datetime.now(UTC)
        with pytest.raises(ValidationFailed) as refused:
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=screened_visit.id,
                data=plasma.CollectionInput(" ", "K", now, now - timedelta(minutes=1), 500, 600),
            )
    assert {"machine", "ended_at", "anticoagulant_ml"} <= set(refused.value.fields)


def test_a_deferral_after_screening_stops_the_collection(
    app, session, world, donor, screened_visit
):
    from blood.donors import service as donors

    with app.app_context():
        donors.defer_donor(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            donor=donor,
            permanent=True,
            reason_code="other",
            source="manual",
        )
        with pytest.raises(Conflict):
            now = datetime.now(UTC)
            plasma.record_collection(
                session=session,
                actor=as_user(session, world, "sca.collector"),
                visit_id=screened_visit.id,
                data=plasma.CollectionInput("M", "K", now - timedelta(minutes=40), now, 500, 50),
            )
