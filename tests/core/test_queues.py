"""Home-page work queues: each role sees its own queue, counted in its own organisation only."""

from __future__ import annotations

from datetime import timedelta

from blood.accounts.roles import Role
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


def test_blood_centre_desk_counts_todays_registrations_and_collections(app, session, world):
    from tests.stock.helpers import donation

    with app.app_context():
        before = _counts(session, world, "bc.collector")
        assert before["registered"] == 0 and before["collected"] == 0
        donation(session, world, serial=301)  # registered at BC today, then collected
        donation(session, world, serial=303)
        after = _counts(session, world, "bc.collector")
        assert after["registered"] == 2
        assert after["collected"] == 2
        # The clerk works orders, not the donor desk; the station's registrar counts its own.
        assert "collected" not in _counts(session, world, "bc.clerk")
        assert _counts(session, world, "sca.registrar") == {"checked_in": 0}


def test_blood_centre_physician_sees_todays_donor_reactions(app, session, world):
    from tests.stock.helpers import donation, staff

    with app.app_context():
        staff(session, world, "bc.physician", Role.PHYSICIAN)
        calm = donation(session, world, serial=301)
        fainted = donation(session, world, serial=303)
        fainted.adverse_reaction = "vasovagal"
        session.add(fainted)
        session.flush()
        queue = next(
            q
            for q in home_queues(session=session, actor=as_user(session, world, "bc.physician"))
            if q.key == "donor_reactions"
        )
        assert queue.count == 1
        assert [r.args for r in queue.rows] == [{"donation_id": fainted.id}]
        assert calm.id != fainted.id


def test_blood_centre_quality_counts_units_the_release_would_take(app, session, world):
    from blood.stock import service as stock
    from tests.stock.helpers import donation, produce, quality, test_results

    with app.app_context():
        quality(session, world)
        tested, untested = (
            donation(session, world, serial=301),
            donation(session, world, serial=303),
        )
        for collected in (tested, untested):
            produce(
                session, world, collected, stock.ComponentInput(product_code="E0001", volume_ml=280)
            )
        test_results(session, world, tested)
        counts = _counts(session, world, "bc.quality")
        assert counts["releasable"] == 1
        assert counts["group_discrepancies"] == 0
        # What the queue counts is exactly what the release takes.
        actor = as_user(session, world, "bc.quality")
        ready = stock.releasable_units(session=session, actor=actor)
        released = stock.release_tested(
            session=session, actor=actor, unit_ids=[u.id for u in ready]
        )
        assert [u.id for u in released] == [u.id for u in ready]
        assert _counts(session, world, "bc.quality")["releasable"] == 0


def test_blood_centre_home_page_shows_the_desk_and_quality_queues(app, client, session, world):
    from tests.conftest import login

    login(client, "bc.collector")  # registrar, collector and quality at BC
    html = client.get("/").get_data(as_text=True)
    for title in ("Donors registered today", "Donations collected today", "Units ready to release"):
        assert title in html
    user = world.users["bc.collector"]
    user.locale = "zh_CN"
    session.add(user)
    session.flush()
    chinese = app.test_client()
    login(chinese, "bc.collector", lang="zh_CN")
    html = chinese.get("/").get_data(as_text=True)
    assert "今日" in html
    assert "Donors registered today" not in html
