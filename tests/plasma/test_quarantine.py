"""Quarantine release through the services (at least 90 days, and a later negative donation
of the same donor), and the inventory by state and group."""

from __future__ import annotations

import pytest

from blood.errors import Forbidden
from blood.plasma import service as plasma
from blood.plasma.models import UnitState
from tests.helpers import as_user, past_collection, register


def test_release_needs_ninety_days_and_a_later_negative_donation(app, session, world, donor):
    with app.app_context():
        station = world.org("S-CA")
        old = past_collection(session, donor, station, 91)
        too_young = past_collection(session, donor, station, 89)
        quality = as_user(session, world, "sca.quality")
        blockers = {
            u.din: {b.code for b in bs}
            for u, bs in plasma.quarantine_overview(session=session, actor=quality)
        }
        # `old` has a later negative donation (too_young); too_young has none after it.
        assert blockers[old.din] == set()
        assert blockers[too_young.din] == {"held_too_short", "no_later_negative"}
        released, refused = plasma.release_units(session=session, actor=quality)
    assert [u.din for u in released] == [old.din]
    assert old.state == UnitState.RELEASED and too_young.state == UnitState.QUARANTINE
    assert refused == {}


def test_no_later_donation_means_no_release_even_after_ninety_days(app, session, world, donor):
    with app.app_context():
        lonely = past_collection(session, donor, world.org("S-CA"), 120)
        untested_later = past_collection(session, donor, world.org("S-CA"), 20, outcome=None)
        released, refused = plasma.release_units(
            session=session,
            actor=as_user(session, world, "sca.quality"),
            dins=[lonely.din, untested_later.din],
        )
    assert released == []
    assert {b.code for b in refused[lonely.din]} == {"no_later_negative"}
    assert "no_result" in {b.code for b in refused[untested_later.din]}


def test_only_quality_releases(app, session, world):
    with app.app_context(), pytest.raises(Forbidden):
        plasma.release_units(session=session, actor=as_user(session, world, "sca.lab"))


def test_inventory_counts_by_state_and_group(app, session, world, donor):
    with app.app_context():
        station = world.org("S-CA")
        past_collection(session, donor, station, 100)
        past_collection(session, donor, station, 30)
        other = register(session, world, serial=125, abo="O", rhd="-")
        gone = past_collection(session, other, station, 10)
        gone.state = UnitState.DESTROYED
        rows = plasma.inventory(session=session, actor=as_user(session, world, "sca.quality"))
    table = {(r.state, r.blood_group): (r.units, r.weight_g) for r in rows}
    assert table == {
        ("quarantine", "A+"): (1, 580.0),
        ("releasable", "A+"): (1, 580.0),
        ("destroyed", "O-"): (1, 580.0),
    }
