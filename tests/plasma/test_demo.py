"""The demo is alive whatever the day it is loaded: releasable units and units in quarantine,
a donor waiting for the physician, an over-limit collection for the quality manager, a donor
who gave whole blood at the blood centre recently; and an API token for a plasma station."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select
from stdnum.cn import ric

from blood.accounts.models import Organisation, User
from blood.accounts.service import actor_for_user
from blood.demo_plasma import DONORS, birth_date, resident_id
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.plasma import service as plasma
from blood.plasma.models import Collection, Visit, VisitStatus
from blood.stock.models import BloodDonation


@pytest.fixture(scope="session")
def base_app(demo_app):
    """These tests read the demo, loaded once per database (tests/conftest.py)."""
    return demo_app


@pytest.fixture
def demo(demo_output):
    return demo_output


def _staff(session, username):
    user = session.exec(select(User).where(User.username == username)).one()
    return actor_for_user(session, user)


def test_demo_alive_station_has_work_for_every_role_today(app, session, demo):
    chunan = session.exec(select(Organisation).where(Organisation.code == "PS-CHUNAN")).one()
    with app.app_context():
        quality = _staff(session, "chunan.quality")
        rows = plasma.quarantine_overview(session=session, actor=quality)
        today = donors.local_today(chunan)
        visits = plasma.visits_today(session=session, actor=_staff(session, "chunan.registrar"))
        deviations = plasma.deviations_overview(session=session, actor=quality)
    assert any(not blockers for _unit, blockers in rows), "releasable units"
    assert any(blockers for _unit, blockers in rows), "units still in quarantine"
    assert any(v.status == VisitStatus.CHECKED_IN for v, _donor in visits), "waiting donor"
    [waiting] = deviations.open
    assert waiting.unit.total_weight_g == 650 and waiting.unit.deviation_reason
    assert any(
        b.code == "deviation_over_limit" for u, bs in rows for b in bs if u.id == waiting.unit.id
    )
    assert session.exec(select(Visit).where(Visit.visit_date == today)).all()
    assert session.exec(select(Collection).where(Collection.state == "shipped")).first()


def test_demo_alive_whole_blood_donor_is_refused_plasma_and_seen_by_both_sides(app, session, demo):
    recent = session.exec(select(BloodDonation).where(BloodDonation.kind == "whole_blood")).all()
    centre = session.exec(select(Organisation).where(Organisation.code == "ZJ-BC")).one()
    chunan = session.exec(select(Organisation).where(Organisation.code == "PS-CHUNAN")).one()
    mine = [
        d
        for d in recent
        if session.get(Donor, d.donor_id).station_id == chunan.id and d.centre_id == centre.id
    ]
    assert mine, "a PS-CHUNAN donor gave whole blood at ZJ-BC"
    donation = mine[0]
    with app.app_context():
        station_view = donors.donor_overview(
            session=session,
            actor=_staff(session, "chunan.physician"),
            donor_id=donation.donor_id,
        )
        centre_view = donors.donor_overview(
            session=session, actor=_staff(session, "bc.physician"), donor_id=donation.donor_id
        )
    [reason] = station_view.history.reasons
    assert reason.code == "interval" and reason.facts["previous_kind"] == "whole_blood"
    assert [d.kind for d in station_view.elsewhere] == [rules.DonationKind.WHOLE_BLOOD]
    assert {d.kind for d in centre_view.elsewhere} == {rules.DonationKind.PLASMA}
    assert {d.organisation.code for d in centre_view.elsewhere} == {"PS-CHUNAN"}


def test_demo_prints_an_api_token_for_a_plasma_station(client, session, demo):
    [line] = [line for line in demo.splitlines() if line.startswith("API token for PS-CHUNAN")]
    token = line.split(": ", 1)[1]
    donor = session.exec(select(Donor)).first()
    response = client.post(
        "/api/v1/eligibility",
        headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        json={
            "donor": donor.card_number,
            "weight_kg": 62,
            "systolic": 118,
            "diastolic": 76,
            "pulse": 72,
        },
    )
    assert response.status_code == 200, response.json
    assert response.json["profile"] == "cn-plasma"


@pytest.mark.parametrize(
    "today",
    [date(2026, 11, 23), date(2027, 1, 1), date(2028, 2, 29), date(2031, 12, 31), date(2045, 7, 1)],
)
def test_demo_alive_donors_ages_fit_the_age_rule_on_any_day(today):
    for index, (_name, sex, age, (month, day), _abo, _rhd) in enumerate(DONORS):
        born = birth_date(age, month, day, today)
        assert rules.age_on(born, today) == age
        # half a year of history: an adult at the first donation too
        assert rules.age_on(born, today - timedelta(days=220)) >= 18
        assert age <= 55
        number = resident_id("330127", f"{born:%Y%m%d}", 100 + 2 * index + (sex == "M"))
        assert ric.is_valid(number)
