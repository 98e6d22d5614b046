"""The station's web forms: the same rules as the services, errors beside the fields,
nothing written on a refusal."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from blood.donors.models import Donor
from blood.plasma.models import Collection, Visit
from tests.conftest import csrf_token_of, login, make_resident_id
from tests.helpers import as_user, past_collection, register

QUESTIONNAIRE_OK = {
    "q.feels_well": "yes",
    "q.recent_illness": "no",
    "q.new_medication": "no",
    "q.tattoo_or_piercing_12m": "no",
    "q.pregnant_or_recent_birth": "no",
    "q.high_risk_behaviour": "no",
}


def post(client, path, data, page=None):
    token = csrf_token_of(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_register_a_donor_through_the_form(client, session, world):
    login(client, "sca.registrar")
    response = post(
        client,
        "/station/donors/new",
        {
            "resident_id": make_resident_id(),
            "name": "王芳",
            "phone": "13800138000",
            "abo": "O",
            "rhd": "+",
        },
    )
    assert response.status_code == 302
    donor = session.exec(select(Donor)).one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert donor.card_number in page and donor.resident_id_masked in page
    assert "13800138000" in page  # the own station's staff see the contact details


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"resident_id": make_resident_id()[:-1] + "0"}, "resident_id", "check character"),
        ({"resident_id": make_resident_id(birth="20990101")}, "resident_id", "future"),
        ({"birth_date": "1991-02-30"}, "birth_date", "Not a valid date"),
        ({"abo": "Q"}, "abo", "Choose one of"),
        ({"name": ""}, "name", "Required"),
        ({"phone": "12345"}, "phone", "mobile number"),
    ],
)
def test_bad_registration_input_is_shown_beside_the_field(
    client, session, world, fields, field, message
):
    login(client, "sca.registrar")
    data = {"resident_id": make_resident_id(), "name": "王芳"} | fields
    response = post(client, "/station/donors/new", data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'id="f-{field}-error">([^<]*)<', html)
    assert error and message in error.group(1)
    assert session.exec(select(Donor)).all() == []


def test_the_whole_visit_through_the_forms(client, session, world):
    with client.application.app_context():
        register(session, world)
        session.commit()
    login(client, "sca.registrar")
    checked_in = post(
        client, "/station/check-in", {"resident_id": make_resident_id()}, page="/station/"
    )
    visit_url = checked_in.headers["Location"]
    assert "/station/visits/" in visit_url
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )

    login(client, "sca.physician")
    screening = post(
        client,
        visit_url + "/screening",
        {
            "weight_kg": "62",
            "systolic": "118",
            "diastolic": "76",
            "pulse": "72",
            **QUESTIONNAIRE_OK,
        },
        page=visit_url,
    )
    assert screening.status_code == 302
    page = client.get(visit_url).get_data(as_text=True)
    assert "Eligible to donate today." in page and "at most 600 g" in page
    client.post("/logout", data={"csrf_token": csrf_token_of(page)})

    login(client, "sca.collector")
    bad = post(
        client,
        visit_url + "/collection",
        {
            "machine": "PCS2",
            "kit_lot": "L1",
            "started_at": "2026-01-01T08:00",
            "ended_at": "2026-01-01T08:45",
            "total_weight_g": "abc",
            "anticoagulant_ml": "-5",
        },
        page=visit_url,
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-total_weight_g-error">Not a number.' in html
    assert 'id="f-anticoagulant_ml-error">Must be 0 or more.' in html
    assert session.exec(select(Collection)).all() == []

    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    done = post(
        client,
        visit_url + "/collection",
        {
            "machine": "PCS2",
            "kit_lot": "L1",
            "started_at": (now - timedelta(minutes=50)).strftime("%Y-%m-%dT%H:%M"),
            "ended_at": (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"),
            "total_weight_g": "598",
            "anticoagulant_ml": "58",
        },
        page=visit_url,
    )
    assert done.status_code == 302
    unit = session.exec(select(Collection)).one()
    label = client.get(done.headers["Location"]).get_data(as_text=True)
    assert f'id="din-check" title="Check character">{unit.check_character}<' in label
    barcode = client.get(f"/station/units/{unit.din}/barcode.svg")
    assert barcode.status_code == 200 and barcode.mimetype == "image/svg+xml"
    assert b"<svg" in barcode.data


def test_screening_refusal_is_shown_with_its_reason_in_chinese(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), 10)
        session.commit()
    user = world.users["sca.physician"]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
    login(client, "sca.registrar")
    visit_url = post(
        client, "/station/check-in", {"resident_id": make_resident_id()}, page="/station/"
    ).headers["Location"]
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )
    login(client, "sca.physician")
    post(
        client,
        visit_url + "/screening",
        {
            "weight_kg": "62",
            "systolic": "118",
            "diastolic": "76",
            "pulse": "72",
            **QUESTIONNAIRE_OK,
        },
        page=visit_url,
    )
    html = client.get(visit_url).get_data(as_text=True)
    assert 'data-reason="interval"' in html
    assert "今日不符合献浆条件" in html


def test_questionnaire_must_be_answered(client, session, world):
    with client.application.app_context():
        register(session, world)
        session.commit()
    login(client, "sca.registrar")
    visit_url = post(
        client, "/station/check-in", {"resident_id": make_resident_id()}, page="/station/"
    ).headers["Location"]
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )
    login(client, "sca.physician")
    response = post(
        client,
        visit_url + "/screening",
        {"weight_kg": "62", "systolic": "118", "diastolic": "76", "pulse": "72"},
        page=visit_url,
    )
    assert response.status_code == 422
    assert "Answer yes or no." in response.get_data(as_text=True)
    assert session.exec(select(Visit)).one().screened_at is None


def test_scanning_a_din_with_a_wrong_check_character_is_refused(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        session.commit()
    login(client, "sca.lab")
    wrong = unit.din + ("0" if unit.check_character != "0" else "1")
    response = client.get(f"/station/units/scan?din={wrong}", follow_redirects=True)
    assert "does not match" in response.get_data(as_text=True)
    ok = client.get(f"/station/units/scan?din={unit.din}{unit.check_character}")
    assert ok.headers["Location"].endswith(f"/station/units/{unit.din}/label")


def test_lab_batch_form(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        unit = past_collection(session, donor, world.org("S-CA"), 3, outcome=None)
        session.commit()
    login(client, "sca.lab")
    header = "DIN,protein,alt,hbsag,anti_hcv,anti_hiv,syphilis"
    row = f"{unit.din}{unit.check_character},66,20,negative,negative,negative,negative"
    batch = f"{header}\n{row}\n"
    response = post(client, "/station/lab", {"batch": batch})
    assert response.status_code == 302
    flashed = client.get("/station/lab").get_data(as_text=True)
    assert "1 results recorded; 0 units marked for destruction." in flashed


def test_another_station_cannot_open_this_stations_pages(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        session.commit()
    login(client, "swz.registrar")
    assert client.get(f"/station/donors/{donor.id}").status_code == 404
    assert client.get(f"/station/units/{unit.din}/label").status_code == 404
    assert client.get(f"/station/visits/{unit.visit_id}").status_code == 404


def test_hospitals_cannot_use_station_pages(client, world):
    login(client, "hhz.officer")
    assert client.get("/station/").status_code == 403


def test_inventory_and_quarantine_pages(client, session, world):
    with client.application.app_context():
        donor = register(session, world)
        past_collection(session, donor, world.org("S-CA"), 95)
        past_collection(session, donor, world.org("S-CA"), 20)
        session.commit()
    login(client, "sca.quality")
    inventory = client.get("/station/inventory").get_data(as_text=True)
    assert 'data-state="releasable"><strong>1</strong>' in inventory
    assert 'data-state="quarantine"><strong>1</strong>' in inventory
    quarantine = client.get("/station/quarantine").get_data(as_text=True)
    assert 'data-blocker="held_too_short"' in quarantine
    released = post(client, "/station/quarantine/release", {}, page="/station/quarantine")
    assert released.status_code == 302
    assert "1 units released." in client.get("/station/quarantine").get_data(as_text=True)


def test_manufacturer_confirms_receipt_on_the_web(client, session, world):
    from blood.plasma import service as plasma

    with client.application.app_context():
        donor = register(session, world)
        station = world.org("S-CA")
        units = [past_collection(session, donor, station, 100 + i) for i in range(2)]
        past_collection(session, donor, station, 5)
        quality = as_user(session, world, "sca.quality")
        plasma.release_units(session=session, actor=quality)
        shipment = plasma.build_shipment(
            session=session, actor=quality, manufacturer_code="MF", dins=[u.din for u in units]
        )
        session.commit()
    login(client, "mf.clerk")
    url = f"/station/shipments/{shipment.id}"
    assert shipment.number in client.get("/station/shipments").get_data(as_text=True)
    bad = post(client, url, {"missing": "P330126ZZZZZZ"})
    assert bad.status_code == 422
    done = post(client, url, {"damaged": units[0].din, "note": "one bag torn"})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Received" in page and "one bag torn" not in page  # the note is on the shipment
    session.expire_all()
    assert session.get(type(shipment), shipment.id).receipt_note == "one bag torn"
