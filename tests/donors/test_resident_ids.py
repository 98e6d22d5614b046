"""Resident IDs: a genuine ID is accepted whatever year its region code came into use (an ID
is assigned when the card is first issued, often years after the birth); only a code unknown
to GB/T 2260, or retired before the birth year, is refused. A mistyped ID sent to the
eligibility API is a field error (422), not "not found"."""

from __future__ import annotations

from datetime import date

import pytest

from blood.donors import service as donors
from blood.errors import ValidationFailed
from tests.conftest import make_resident_id
from tests.helpers import as_user

TODAY = date(2026, 11, 23)


def test_resident_id_region_in_use_since_after_the_birth_year_is_genuine():
    """A Jiande resident born in 1990: 330182 has been in use since 1992."""
    person = donors.parse_resident_id(
        make_resident_id(region="330182", birth="19900315"), today=TODAY
    )
    assert person.region == "330182" and person.birth_date == date(1990, 3, 15)
    assert donors.region_status("330182", 1990) == (donors.registry.REGION_IN_USE, None)


def test_resident_id_region_retired_after_the_birth_year_is_genuine():
    """崇文区 (110103) was merged into 东城区 in 2010: someone born in 1990 may carry it."""
    assert (
        donors.parse_resident_id(make_resident_id(region="110103"), today=TODAY).region == "110103"
    )


def test_resident_id_region_retired_before_the_birth_year_is_refused():
    """燕山区 (110110) was retired in 1986: nobody born in 1990 was given it."""
    with pytest.raises(ValidationFailed) as refused:
        donors.parse_resident_id(make_resident_id(region="110110", birth="19900101"), today=TODAY)
    [message] = refused.value.fields["resident_id"]
    assert message == "Region code 110110 was retired in 1986, before this birth date: mistyped?"


def test_resident_id_region_unknown_to_gb_t_2260_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        donors.parse_resident_id(make_resident_id(region="339999"), today=TODAY)
    assert refused.value.fields["resident_id"] == [
        "Region code 339999 is unknown to GB/T 2260: mistyped?"
    ]


def test_resident_id_impossible_birth_date_is_refused():
    body = "33012719900231123"  # 31 February
    from stdnum.cn import ric

    with pytest.raises(ValidationFailed) as refused:
        donors.parse_resident_id(body + ric.calc_check_digit(body + "0"), today=TODAY)
    assert "impossible" in refused.value.fields["resident_id"][0]


def test_resident_id_of_a_jiande_resident_registers(app, session, world):
    """At a blood centre (no designated area): the registry accepts the genuine ID."""
    with app.app_context():
        donor = donors.register_donor(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            data=donors.DonorRegistration(
                resident_id=make_resident_id(region="330182", birth="19900315"), name="邵明"
            ),
        )
    assert donor.household_region == "330182"


# --- the eligibility API -------------------------------------------------------------------

GOOD = {"weight_kg": 62, "systolic": 118, "diastolic": 76, "pulse": 72}


@pytest.mark.parametrize(
    "reference, message",
    [
        (make_resident_id()[:17], "A resident ID has 18 characters."),
        (make_resident_id()[:-1] + ("1" if make_resident_id()[-1] != "1" else "2"), "check"),
        (make_resident_id(region="110110"), "retired in 1986"),
    ],
)
def test_eligibility_api_mistyped_resident_id_is_a_field_error(
    client, world, api_headers, reference, message
):
    response = client.post(
        "/api/v1/eligibility", headers=api_headers("S-CA"), json={"donor": reference, **GOOD}
    )
    assert response.status_code == 422, response.json
    assert response.json["error"] == "validation_failed"
    [text] = response.json["errors"]["json"]["donor"]
    assert message in text


def test_eligibility_api_unknown_card_number_is_still_not_found(client, world, api_headers):
    response = client.post(
        "/api/v1/eligibility", headers=api_headers("S-CA"), json={"donor": "S-CA-999999", **GOOD}
    )
    assert response.status_code == 404


def test_eligibility_api_new_jiande_resident(client, world, api_headers):
    response = client.post(
        "/api/v1/eligibility",
        headers=api_headers("S-CA"),
        json={"donor": make_resident_id(region="330182", birth="19900315"), **GOOD},
    )
    assert response.status_code == 200, response.json
    assert response.json["registered"] is False and response.json["eligible"] is True
