"""The demo's blood stock is alive whatever the day it is loaded: units about to expire, an
order waiting, released units that were honestly tested, a donation waiting for the
laboratory, a deviation waiting for the quality manager, a unit on hold at a hospital."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from blood.accounts.models import Organisation, User
from blood.accounts.service import actor_for_user
from blood.pagination import PageRequest
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import (
    BloodDonation,
    BloodTestResult,
    DailyUsage,
    TemperatureExcursion,
    Unit,
    UnitMovement,
)


@pytest.fixture(scope="session")
def base_app(demo_app):
    """These tests read the demo, loaded once per database (tests/conftest.py)."""
    return demo_app


@pytest.fixture
def demo(demo_output):
    return demo_output


def staff(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return actor_for_user(session, user)


def org(session, code):
    return session.exec(select(Organisation).where(Organisation.code == code)).one()


def test_demo_has_units_about_to_expire_and_an_order_waiting(app, session, demo):
    with app.app_context():
        at_centre = stock.near_expiry(session=session, actor=staff(session, "bc.stock"))
        at_hospital = stock.near_expiry(session=session, actor=staff(session, "zju1.transfusion"))
        orders = stock.list_orders(
            session=session, actor=staff(session, "bc.stock"), page=PageRequest()
        )
    assert at_centre and at_hospital
    assert any(o.status == "open" for o in orders.items)


def test_demo_released_units_were_honestly_tested(app, session, demo):
    centre = org(session, "ZJ-BC")
    from blood import settings

    markers = set(settings.of(session).blood_lab_markers)
    released = session.exec(
        select(Unit).where(
            Unit.centre_id == centre.id,
            Unit.state.not_in([UnitState.PENDING_TESTS, UnitState.EXPIRED]),
        )
    ).all()
    assert len(released) > 100
    donation_ids = {u.donation_id for u in released}
    assert None not in donation_ids
    results = session.exec(
        select(BloodTestResult).where(BloodTestResult.donation_id.in_(donation_ids))
    ).all()
    by_donation: dict[int, dict[str, str]] = {}
    for row in results:
        by_donation.setdefault(row.donation_id, {})[row.marker] = row.result
    for donation_id in donation_ids:
        got = by_donation.get(donation_id, {})
        assert set(got) == markers, donation_id
        assert set(got.values()) <= {"negative", "within_limit"}
        donation = session.get(BloodDonation, donation_id)
        assert donation.group_status == "confirmed" and donation.deviation is None


def test_demo_has_work_for_the_laboratory_and_the_quality_manager(app, session, demo):
    with app.app_context():
        lab = stock.lab_overview(session=session, actor=staff(session, "bc.lab"))
        deviations = stock.deviations_overview(session=session, actor=staff(session, "bc.quality"))
        release = stock.release_overview(session=session, actor=staff(session, "bc.quality"))
    untested = [s for s in lab.waiting.items if not s.results]
    assert untested, "a donation waiting for its results"
    assert any(stock.donation_units(session=session, donation=s.donation) for s in untested), (
        "with components made"
    )
    [waiting] = deviations.open
    assert waiting.donation.volume_ml == 450 and waiting.donation.deviation_reason
    assert release.ready, "units ready for release"
    reasons = [" ".join(why) for _unit, why in release.blocked]
    assert any("waiting for the quality manager" in r for r in reasons)
    assert any("No laboratory results yet." in r for r in reasons)


def test_demo_has_a_unit_on_hold_at_a_hospital(app, session, demo):
    [held] = session.exec(select(Unit).where(Unit.state == UnitState.ON_HOLD)).all()
    assert held.owner_id == org(session, "H-ZJPPH").id
    excursion = session.exec(select(TemperatureExcursion)).one()
    assert excursion.unit_id == held.id and excursion.outcome is None


def test_demo_pages_render_in_both_languages(client, session, demo):
    from blood.demo import DEMO_PASSWORD
    from tests.conftest import login

    for username, pages in (
        ("bc.quality", ["/stock/units", "/stock/deviations", "/stock/"]),
        ("bc.lab", ["/stock/lab"]),
        ("zjpph.transfusion", ["/stock/units"]),
    ):
        for lang in ("en", "zh_CN"):
            login(client, username, DEMO_PASSWORD)
            client.get(f"/lang/{lang}")
            for page in pages:
                response = client.get(page)
                assert response.status_code == 200, (username, page, lang)
            client.post(
                "/logout",
                data={"csrf_token": _token(client)},
            )


def _token(client):
    from tests.conftest import csrf_token_of

    return csrf_token_of(client.get("/").get_data(as_text=True))


def test_demo_daily_usage_counts_every_issue_and_transfusion(app, session, demo):
    """The demo writes its past movements itself: each issue and transfusion is in the daily
    usage, so stock levels show the demo's use."""
    kinds = {o.id: o for o in session.exec(select(Organisation)).all()}
    expected: Counter = Counter()
    for move in session.exec(select(UnitMovement)).all():
        holder = kinds[move.organisation_id]
        if stock.counts_as_use(move.action, holder.kind) and move.abo and move.rhd:
            day = stock.local_day(move.at, holder.timezone)
            expected[(move.organisation_id, day, move.component, move.abo, move.rhd)] += 1
    counted = {
        (r.organisation_id, r.day, r.component, r.abo, r.rhd): r.units
        for r in session.exec(select(DailyUsage)).all()
    }
    assert sum(expected.values()) > 100 and counted == dict(expected)
    with app.app_context():
        levels = stock.stock_levels(session=session, actor=staff(session, "bc.stock"))
    assert any(level.daily_usage > 0 for level in levels)
