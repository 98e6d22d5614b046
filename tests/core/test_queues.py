"""Home-page work queues: each role sees its own queue, counted in its own organisation only."""

from __future__ import annotations

from datetime import timedelta

from blood.core.queues import home_queues
from blood.db import utcnow
from blood.plasma import service as plasma
from tests.conftest import make_resident_id
from tests.helpers import GOOD_SCREENING, as_user, past_collection, register


def _counts(session, world, username) -> dict[str, int]:
    return {
        q.key: q.count
        for q in home_queues(session=session, actor=as_user(session, world, username))
    }


def _check_in(session, world):
    register(session, world)
    return plasma.check_in(
        session=session,
        actor=as_user(session, world, "sca.registrar"),
        resident_id=make_resident_id(),
    )


def test_registrar_sees_todays_check_ins_of_its_own_station_only(app, session, world):
    with app.app_context():
        _check_in(session, world)
        assert _counts(session, world, "sca.registrar") == {"checked_in": 1}
        assert _counts(session, world, "swz.registrar") == {"checked_in": 0}


def test_physician_then_collector_queue_follow_the_screening(app, session, world):
    with app.app_context():
        visit = _check_in(session, world)
        assert _counts(session, world, "sca.physician") == {"screening": 1}
        assert _counts(session, world, "sca.collector") == {"collection": 0}
        assert _counts(session, world, "swz.physician") == {"screening": 0}
        plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
        assert _counts(session, world, "sca.physician") == {"screening": 0}
        assert _counts(session, world, "sca.collector") == {"collection": 1}


def test_lab_counts_donations_without_results(app, session, world):
    with app.app_context():
        donor = register(session, world)
        station = world.org("S-CA")
        past_collection(session, donor, station, 3, outcome=None)
        past_collection(session, donor, station, 40)
        assert _counts(session, world, "sca.lab") == {"lab": 1}


def test_quality_sees_releasable_units(app, session, world):
    with app.app_context():
        donor = register(session, world)
        station = world.org("S-CA")
        past_collection(session, donor, station, 100)
        past_collection(session, donor, station, 5)
        counts = _counts(session, world, "sca.quality")
        assert counts["releasable"] == 1
        assert counts["deviations"] == 0


def test_administrator_sees_locked_accounts_of_its_organisation_only(app, session, world):
    with app.app_context():
        user = world.users["sca.registrar"]
        user.locked_until = utcnow() + timedelta(minutes=15)
        session.add(user)
        session.flush()
        assert _counts(session, world, "sca.admin")["locked"] == 1
        assert _counts(session, world, "swz.admin")["locked"] == 0


def test_stock_clerk_sees_open_orders_and_expiring_units_keys(app, session, world):
    with app.app_context():
        counts = _counts(session, world, "bc.clerk")
        assert counts == {"orders": 0, "expiring": 0}


def test_centre_lab_counts_donations_waiting_by_marker(app, session, world):
    from blood.stock.service.markers import lab_markers
    from tests.stock.helpers import donation, lab, test_results

    with app.app_context():
        lab(session, world)  # BC's laboratory technician, bc.lab
        first = donation(session, world, serial=301)
        donation(session, world, serial=303)
        markers = lab_markers(session=session)
        test_results(session, world, first, **{markers[0]: None})  # one marker left out
        queue = next(
            q
            for q in home_queues(session=session, actor=as_user(session, world, "bc.lab"))
            if q.key == "lab"
        )
        assert queue.count == 2
        rows = [r.text for r in queue.rows]
        assert any(r.endswith(": 2") for r in rows)  # the left-out marker: both missing
        assert any(r.endswith(": 1") for r in rows)  # the others: the second only
        # The station's laboratory (another organisation) counts none of them.
        assert _counts(session, world, "sca.lab") == {"lab": 0}


def test_stock_clerk_sees_units_expiring_within_72_hours_at_its_centre(app, session, world):
    from tests.stock.helpers import units_in_stock

    with app.app_context():
        soon, later = units_in_stock(session, world, n=2)
        soon.expires_at = utcnow() + timedelta(hours=24)
        later.expires_at = utcnow() + timedelta(hours=100)
        session.add_all([soon, later])
        session.flush()
        queue = next(
            q
            for q in home_queues(session=session, actor=as_user(session, world, "bc.clerk"))
            if q.key == "expiring"
        )
        assert queue.count == 1
        assert [r.args for r in queue.rows] == [{"unit_id": soon.id}]
        hospital = {
            q.key: q.count
            for q in home_queues(session=session, actor=as_user(session, world, "hhz.officer"))
        }
        assert hospital["expiring"] == 0 and hospital["on_hand"] == 0


def test_administrator_sees_tokens_idle_for_90_days_of_its_organisation_only(app, session, world):
    from blood.accounts.models import ApiToken

    with app.app_context():
        old = utcnow() - timedelta(days=120)
        for n, (org, last_used, revoked) in enumerate(
            [
                ("S-CA", old, None),  # idle: counted
                ("S-CA", utcnow() - timedelta(days=3), None),  # in use
                ("S-CA", old, utcnow()),  # revoked: nothing to do
                ("S-WZ", old, None),  # another station's
            ]
        ):
            session.add(
                ApiToken(
                    organisation_id=world.org(org).id,
                    name=f"his-{n}",
                    token_hash=f"{n:064d}",
                    prefix=f"p{n}",
                    created_at=old,
                    last_used_at=last_used,
                    revoked_at=revoked,
                )
            )
        session.flush()
        assert _counts(session, world, "sca.admin")["idle_tokens"] == 1
        assert _counts(session, world, "swz.admin")["idle_tokens"] == 1
        assert "idle_tokens" not in _counts(session, world, "sca.registrar")
