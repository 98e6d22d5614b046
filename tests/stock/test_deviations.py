"""Whole-blood volume deviations: recorded, then decided by the centre's quality manager;
nothing made from the donation is released before that decision accepts it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from blood.audit import AuditEvent
from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from tests.helpers import as_user, register
from tests.stock.helpers import (
    collect,
    decide,
    now,
    produce,
    quality,
    release,
    test_results,
)


def deviating(session, world, serial=301, volume=450):
    """A whole-blood collection of `volume` mL at BC, recorded with a deviation, split and
    tested negative."""
    register(session, world, serial=serial, username="bc.collector")
    d = collect(session, world, serial=serial, volume=volume, deviation_reason="bag overfilled")
    units = produce(
        session,
        world,
        d,
        stock.ComponentInput("E0001", 300),
        stock.ComponentInput("E0004", 220),
    )
    test_results(session, world, d)
    return d, units


def test_nothing_from_an_open_deviation_is_released(app, session, world):
    with app.app_context():
        _d, units = deviating(session, world)
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, units)
    assert "Collection deviation waiting for the quality manager." in " ".join(
        refused.value.fields["units"]
    )
    assert {u.state for u in units} == {UnitState.PENDING_TESTS}


def test_an_accepted_deviation_lets_the_tested_components_go(app, session, world):
    with app.app_context():
        d, units = deviating(session, world)
        decide(session, world, d, "accept", "450 mL within the bag's validated capacity")
        released = release(session, world, units)
    assert {u.state for u in released} == {UnitState.AVAILABLE}
    assert d.deviation_status == "accepted"
    assert d.deviation_decided_by_id == world.users["bc.quality"].id
    assert d.deviation_decision_note == "450 mL within the bag's validated capacity"
    assert d.deviation_decided_at is not None


def test_a_rejected_deviation_discards_every_component(app, session, world):
    with app.app_context():
        d, units = deviating(session, world, volume=520)
        discarded = decide(session, world, d, "reject", "over the bag's capacity")
        with pytest.raises(ValidationFailed) as refused:
            release(session, world, units)
    assert {u.id for u in discarded} == {u.id for u in units}
    assert {(u.state, u.discard_reason) for u in units} == {
        (UnitState.DISCARDED, "deviation_rejected")
    }
    assert "not waiting for test results" in refused.value.fields["units"][0]
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "blood.deviation_decide")
    ).one()
    assert audit.changes["deviation_status"] == ["open", "rejected"]


def test_only_the_quality_manager_decides_and_says_why(app, session, world):
    with app.app_context():
        d, _units = deviating(session, world)
        with pytest.raises(Forbidden):
            stock.decide_deviation(
                session=session,
                actor=as_user(session, world, "bc.clerk"),
                donation_id=d.id,
                decision="accept",
                note="fine",
            )
        with pytest.raises(ValidationFailed) as refused:
            stock.decide_deviation(
                session=session,
                actor=quality(session, world),
                donation_id=d.id,
                decision="maybe",
                note="",
            )
        assert set(refused.value.fields) == {"decision", "note"}
        decide(session, world, d, "accept")
        with pytest.raises(Conflict):  # decided once
            decide(session, world, d, "reject")


def test_the_quality_page_lists_open_deviations_and_supervision_reads_them(app, session, world):
    with app.app_context():
        d, _units = deviating(session, world)
        overview = stock.deviations_overview(session=session, actor=quality(session, world))
        assert [row.donation.id for row in overview.open] == [d.id]
        assert overview.open[0].collected_by == "bc.collector"
        # An inspector of the province reads deviations by status and date.
        inspector = as_user(session, world, "p.inspector")
        assert [x.id for x in stock.list_deviations(session=session, actor=inspector)] == [d.id]
        assert stock.list_deviations(session=session, actor=inspector, status="accepted") == []
        later = now() + timedelta(days=1)
        assert stock.list_deviations(session=session, actor=inspector, since=later) == []
        # Another city's inspector does not see the provincial centre's.
        wenzhou = as_user(session, world, "wz.inspector")
        assert stock.list_deviations(session=session, actor=wenzhou) == []
        decide(session, world, d, "accept")
        overview = stock.deviations_overview(session=session, actor=quality(session, world))
    assert overview.open == [] and [row.donation.id for row in overview.decided] == [d.id]
