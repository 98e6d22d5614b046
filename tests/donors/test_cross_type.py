"""Plasma and whole blood see each other: the cross-type intervals apply at the plasma
station and at the blood centre, in the form, the API and the services; each side's donor
page shows the other side's donations (kind, day, organisation) and no more; a blood centre
opens the page of a donor who gave blood there."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from blood import isbt128
from blood.donors import rules
from blood.donors import service as donors
from blood.errors import NotFound, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import VisitStatus
from blood.sequences import next_value
from blood.stock.models import BloodDonation
from tests.conftest import csrf_token_of, login, make_resident_id
from tests.helpers import GOOD_SCREENING, as_user, collect_today, past_collection, register

WITH_HB = dataclasses.replace(GOOD_SCREENING, hb_g_l=135)


def past_blood_donation(session, donor, centre, days_ago: int, kind: str = "whole_blood"):
    """A donation at a blood centre `days_ago` days ago (the past: written directly)."""
    when = datetime.now(UTC) - timedelta(days=days_ago)
    din = isbt128.make_din(
        centre.facility_id,
        when.year,
        next_value(session, f"din:{centre.facility_id}:{when.year % 100:02d}"),
    )
    donation = BloodDonation(
        donor_id=donor.id,
        centre_id=centre.id,
        din=din,
        check_character=isbt128.check_character(din),
        kind=kind,
        volume_ml=400,
        collected_at=when,
        abo=donor.abo,
        rhd=donor.rhd,
    )
    session.add(donation)
    session.flush()
    return donation


def test_cross_type_interval_station_refuses_plasma_on_day_15_after_whole_blood(
    app, session, world
):
    with app.app_context():
        donor = register(session, world)
        given = past_blood_donation(session, donor, world.org("BC"), 14)
        decision = donors.assess(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            donor=donor,
            screening=GOOD_SCREENING,
        )
        given_on = donors.local_today(world.org("S-CA")) - timedelta(days=14)
    [reason] = decision.reasons
    assert reason.code == "interval"
    assert reason.facts["previous_kind"] == rules.DonationKind.WHOLE_BLOOD
    assert decision.next_eligible_on == rules.add_months(given_on, 3)
    assert given.din  # the blood centre's donation, found through the history sources


def test_cross_type_interval_screening_refuses_plasma_after_whole_blood(app, session, world):
    with app.app_context():
        donor = register(session, world)
        past_blood_donation(session, donor, world.org("BC"), 0)  # this morning
        visit = plasma.check_in(
            session=session,
            actor=as_user(session, world, "sca.registrar"),
            resident_id=make_resident_id(),
        )
        visit, decision = plasma.record_screening(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            visit_id=visit.id,
            data=GOOD_SCREENING,
        )
    assert visit.status == VisitStatus.INELIGIBLE
    assert [r.code for r in decision.reasons] == ["interval"]


def test_cross_type_interval_api_names_the_whole_blood_donation(
    app, client, session, world, api_headers
):
    with app.app_context():
        donor = register(session, world)
        past_blood_donation(session, donor, world.org("BC"), 1)
        session.commit()
    response = client.post(
        "/api/v1/eligibility",
        headers=api_headers("S-CA"),
        json={
            "donor": donor.card_number,
            "weight_kg": 62,
            "systolic": 118,
            "diastolic": 76,
            "pulse": 72,
        },
    )
    assert response.status_code == 200
    [reason] = response.json["reasons"]
    assert reason["code"] == "interval" and reason["facts"]["previous_kind"] == "whole_blood"
    assert reason["message"].startswith("Too soon after the whole-blood donation of")


def test_cross_type_interval_centre_refuses_whole_blood_an_hour_after_plasma(app, session, world):
    from blood.stock import service as stock

    with app.app_context():
        donor = register(session, world)
        collect_today(session, world, donor, weight=580)
        with pytest.raises(ValidationFailed) as refused:
            stock.record_blood_donation(
                session=session,
                actor=as_user(session, world, "bc.collector"),
                data=stock.BloodDonationInput(
                    donor=make_resident_id(), kind="whole_blood", volume_ml=400, screening=WITH_HB
                ),
            )
    [message] = refused.value.fields["eligibility"]
    assert message.startswith("Too soon after the plasma donation of")


def test_cross_type_interval_centre_accepts_whole_blood_four_weeks_after_plasma(
    app, session, world
):
    from blood.stock import service as stock

    with app.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), 29)
        donation = stock.record_blood_donation(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            data=stock.BloodDonationInput(
                donor=make_resident_id(), kind="whole_blood", volume_ml=400, screening=WITH_HB
            ),
        )
    assert donation.id is not None


# --- the donor page on either side ---------------------------------------------------------


def test_donor_page_shows_donations_at_other_organisations_and_no_more(app, client, session, world):
    with app.app_context():
        donor = register(session, world, phone="13800138000")
        unit = past_collection(session, donor, world.org("S-CA"), 40)
        given = past_blood_donation(session, donor, world.org("BC"), 10)
        session.commit()
    url = f"/station/donors/{donor.id}"

    login(client, "sca.physician")
    station = client.get(url).get_data(as_text=True)
    section = station.split('id="donations-elsewhere"')[1].split("</table>")[0]
    assert "Whole blood" in section and "BC organisation" in section
    assert given.din not in station and "400" not in section
    assert "Too soon after the whole-blood donation" in station
    assert "138****8000" in station and "13800138000" not in station  # own station: masked
    looked_up = client.post(f"{url}/contact", data={"csrf_token": csrf_token_of(station)})
    assert "13800138000" in looked_up.get_data(as_text=True)  # in clear, on request

    centre_client = app.test_client()
    login(centre_client, "bc.collector")
    page = centre_client.get(url)
    assert page.status_code == 200
    centre = page.get_data(as_text=True)
    section = centre.split('id="donations-elsewhere"')[1].split("</table>")[0]
    assert "Plasma (apheresis)" in section and "S-CA organisation" in section
    assert unit.din not in centre  # the station's units stay the station's
    assert "13800138000" not in centre  # contact: the registering station's only
    assert "Held by the station that registered the donor." in centre
    refused = centre_client.post(f"{url}/contact", data={"csrf_token": csrf_token_of(centre)})
    assert refused.status_code == 403 and "13800138000" not in refused.get_data(as_text=True)


def test_donor_page_scope_another_organisations_donor_stays_not_found(app, client, session, world):
    with app.app_context():
        donor = register(session, world)
        with pytest.raises(NotFound):
            donors.get_donor(
                session=session, actor=as_user(session, world, "bc.collector"), donor_id=donor.id
            )
        past_blood_donation(session, donor, world.org("BC"), 10)
        found = donors.get_donor(
            session=session, actor=as_user(session, world, "bc.collector"), donor_id=donor.id
        )
        assert found.id == donor.id
        # Wenzhou's station: neither registered nor donated there
        with pytest.raises(NotFound):
            donors.get_donor(
                session=session, actor=as_user(session, world, "swz.physician"), donor_id=donor.id
            )
        session.commit()
    login(client, "swz.physician")
    assert client.get(f"/station/donors/{donor.id}").status_code == 404


def test_donor_page_scope_does_not_open_check_in_at_another_station(app, session, world):
    """Having donated somewhere does not make a station the donor's station."""
    with app.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-WZ"), 200)
        with pytest.raises(donors.RegisteredElsewhere):
            plasma.check_in(
                session=session,
                actor=as_user(session, world, "swz.registrar"),
                resident_id=make_resident_id(),
            )


def test_a_deferral_is_lifted_only_by_the_organisation_that_recorded_it(app, session, world):
    """The blood centre sees the donor (they gave blood there) and the station's deferral,
    but only the station that recorded it knows why, and lifts it."""
    from datetime import date as day

    with app.app_context():
        donor = register(session, world)
        past_blood_donation(session, donor, world.org("BC"), 200)
        deferral = donors.defer_donor(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            donor=donor,
            permanent=False,
            reason_code="medication",
            source="manual",
            ends_on=day.today() + timedelta(days=30),
        )
        centre = as_user(session, world, "bc.collector")
        assert donors.get_deferral(session=session, actor=centre, deferral_id=deferral.id)
        assert isinstance(donors.lift_refusal(session, centre, deferral), donors.NotYourDeferral)
        with pytest.raises(donors.NotYourDeferral) as refused:
            donors.lift_deferral(
                session=session, actor=centre, deferral_id=deferral.id, reason="seen here"
            )
        assert "S-CA 机构" in refused.value.message
        donors.lift_deferral(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            deferral_id=deferral.id,
            reason="stopped the medicine",
        )
