"""The station's web forms: the same rules as the services, errors beside the fields,
nothing written on a refusal."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from blood.audit import AuditEvent
from blood.donors.models import Donor
from blood.plasma.models import Collection, Visit
from tests.conftest import csrf_token_of, login, make_resident_id
from tests.helpers import past_collection
from tests.plasma.forms import QUESTIONNAIRE_OK, logout, post


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
    # The own station's staff see the contact details masked, and in clear on request.
    assert "13800138000" not in page and "138****8000" in page
    token = csrf_token_of(page)
    shown = client.post(f"/station/donors/{donor.id}/contact", data={"csrf_token": token})
    assert shown.status_code == 200 and "13800138000" in shown.get_data(as_text=True)
    event = session.exec(
        select(AuditEvent).where(AuditEvent.action == "donor.contact_reveal")
    ).one()
    assert event.entity_id == str(donor.id) and "13800138000" not in str(event.changes)


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


def test_the_whole_visit_through_the_forms(client, session, world, visit_url):
    assert "/station/visits/" in visit_url
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
    logout(client)

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
    assert f'<span class="din-check" title="Check character">{unit.check_character}</span>' in label
    barcode = client.get(f"/station/units/{unit.din}/barcode.svg")
    assert barcode.status_code == 200 and barcode.mimetype == "image/svg+xml"
    assert b"<svg" in barcode.data


def test_screening_refusal_is_shown_with_its_reason_in_chinese(
    client, session, world, donor, visit_url
):
    with client.application.app_context():
        past_collection(session, donor, world.org("S-CA"), 10)
        session.commit()
    user = world.users["sca.physician"]
    user.locale = "zh_CN"
    session.add(user)
    session.commit()
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
    assert "今日不符合捐献条件" in html


def test_questionnaire_must_be_answered(client, session, world, visit_url):
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


def test_scanning_a_din_with_a_wrong_check_character_is_refused(client, session, world, donor):
    with client.application.app_context():
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        session.commit()
    login(client, "sca.lab")
    wrong = unit.din + ("0" if unit.check_character != "0" else "1")
    response = client.get(f"/station/units/scan?din={wrong}", follow_redirects=True)
    assert "does not match" in response.get_data(as_text=True)
    ok = client.get(f"/station/units/scan?din={unit.din}{unit.check_character}")
    assert ok.headers["Location"].endswith(f"/station/units/{unit.din}/label")


def test_lab_batch_form(client, session, world, donor):
    with client.application.app_context():
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


def test_another_station_cannot_open_this_stations_pages(client, session, world, donor):
    with client.application.app_context():
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        session.commit()
    login(client, "swz.registrar")
    for url in (
        f"/station/donors/{donor.id}",
        f"/station/units/{unit.din}/label",
        f"/station/visits/{unit.visit_id}",
    ):
        page = client.get(url)
        assert page.status_code == 404
        assert '<p class="errors" role="alert">Not found.</p>' in page.get_data(as_text=True)


def test_hospitals_cannot_use_station_pages(client, world):
    login(client, "hhz.officer")
    page = client.get("/station/")
    assert page.status_code == 403
    assert "You are not allowed to do this." in page.get_data(as_text=True)


def test_inventory_and_quarantine_pages(client, session, world, donor):
    with client.application.app_context():
        past_collection(session, donor, world.org("S-CA"), 95)
        past_collection(session, donor, world.org("S-CA"), 20)
        session.commit()
    login(client, "sca.quality")
    inventory = client.get("/station/inventory").get_data(as_text=True)
    assert 'data-state="releasable"><strong>1</strong>' in inventory
    assert 'data-state="quarantine"><strong>1</strong>' in inventory
    quarantine = client.get("/station/quarantine").get_data(as_text=True)
    assert 'data-blocker="held_too_short"' in quarantine
    assert "Release all 1 releasable units" in quarantine
    releasable = re.findall(r'name="releasable" value="([^"]+)"', quarantine)
    asked = post(
        client,
        "/station/quarantine/release",
        {"release": "all", "releasable": releasable},
        page="/station/quarantine",
    )
    assert asked.status_code == 200 and "Release from quarantine?" in asked.get_data(as_text=True)
    released = post(
        client,
        "/station/quarantine/release",
        {"release": "all", "releasable": releasable, "confirmed": "1"},
        page="/station/quarantine",
    )
    assert released.status_code == 302
    assert "1 units released." in client.get("/station/quarantine").get_data(as_text=True)


def test_manufacturer_confirms_receipt_on_the_web(client, session, world, shipped):
    shipment, units = shipped
    login(client, "mf.clerk")
    url = f"/station/shipments/{shipment.id}"
    assert shipment.number in client.get("/station/shipments").get_data(as_text=True)
    bad = post(client, url, {"missing": "P330126ZZZZZZ"})
    assert bad.status_code == 422
    assert "P330126ZZZZZZ is not a DIN" in bad.get_data(as_text=True)
    asked = post(client, url, {"damaged": units[0].din, "note": "one bag torn"})
    assert asked.status_code == 200
    assert "Confirm the receipt with discrepancies?" in asked.get_data(as_text=True)
    done = post(client, url, {"damaged": units[0].din, "note": "one bag torn", "confirmed": "1"})
    assert done.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Received" in page and "one bag torn" not in page  # the note is on the shipment
    session.expire_all()
    assert session.get(type(shipment), shipment.id).receipt_note == "one bag torn"
