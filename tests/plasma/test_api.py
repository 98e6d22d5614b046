"""The API: eligibility (same engine as the screening form) and shipment receipts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from tests.conftest import login, make_resident_id
from tests.helpers import past_collection

GOOD = {"weight_kg": 62, "systolic": 118, "diastolic": 76, "pulse": 72}


@pytest.fixture
def station_token(api_headers):
    return api_headers("S-CA")


def test_eligible_donor(client, session, world, donor, station_token):
    session.commit()
    response = client.post(
        "/api/v1/eligibility", headers=station_token, json={"donor": make_resident_id(), **GOOD}
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["eligible"] is True and body["reasons"] == []
    assert body["profile"] == "cn-plasma" and body["registered"] is True
    assert body["collection_limit"] == {
        "amount": 600.0,
        "unit": "g",
        "includes_anticoagulant": True,
    }


def test_too_soon_gives_reason_code_message_and_next_date(
    app, client, session, world, donor, station_token
):
    with app.app_context():
        unit = past_collection(session, donor, world.org("S-CA"), 10)
        session.commit()
    response = client.post(
        "/api/v1/eligibility", headers=station_token, json={"donor": donor.card_number, **GOOD}
    )
    body = response.json
    assert body["eligible"] is False
    [reason] = body["reasons"]
    assert reason["code"] == "interval"
    assert reason["message"].startswith("Too soon after the plasma donation of")
    from datetime import date, timedelta

    previous = date.fromisoformat(reason["facts"]["previous"])
    assert previous == unit.started_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert date.fromisoformat(body["next_eligible_on"]) == previous + timedelta(days=15)


def test_new_person_by_resident_id(client, world, station_token):
    response = client.post(
        "/api/v1/eligibility",
        headers=station_token,
        json={"donor": make_resident_id(birth="20100101"), **GOOD},
    )
    assert response.status_code == 200
    assert response.json["registered"] is False
    assert [r["code"] for r in response.json["reasons"]] == ["too_young"]


def test_bad_input_names_the_fields(client, world, station_token):
    response = client.post(
        "/api/v1/eligibility",
        headers=station_token,
        json={"donor": "S-CA-000001", "weight_kg": "abc", "pulse": -3, "shoe_size": 42},
    )
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) == {"weight_kg", "pulse", "shoe_size"}


def test_unknown_card_is_404(client, world, station_token):
    response = client.post(
        "/api/v1/eligibility", headers=station_token, json={"donor": "S-CA-999999", **GOOD}
    )
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_hospitals_cannot_ask(client, api_headers):
    response = client.post(
        "/api/v1/eligibility",
        headers=api_headers("H-HZ"),
        json={"donor": make_resident_id(), **GOOD},
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


def test_a_station_user_session_works_too(client, session, world):
    login(client, "sca.physician")
    page = client.get("/").get_data(as_text=True)
    from tests.conftest import csrf_token_of

    response = client.post(
        "/api/v1/eligibility",
        json={"donor": make_resident_id(), **GOOD},
        headers={"X-CSRFToken": csrf_token_of(page)},
    )
    assert response.status_code == 200
    assert response.json["registered"] is False


def test_manufacturer_confirms_receipt_through_the_api(client, shipped, api_headers):
    shipment, units = shipped
    headers = api_headers("MF")
    listed = client.get("/api/v1/shipments", headers=headers)
    assert [s["number"] for s in listed.json] == [shipment.number]
    response = client.post(
        f"/api/v1/shipments/{shipment.id}/receipt",
        headers=headers,
        json={
            "discrepancies": [
                {"kind": "missing", "din": units[0].din},
                {"kind": "extra", "din": "P330126999999"},
            ]
        },
    )
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "received"
    statuses = {i["din"]: i["receipt_status"] for i in body["items"]}
    assert statuses == {units[0].din: "missing", units[1].din: "ok"}
    again = client.post(
        f"/api/v1/shipments/{shipment.id}/receipt", headers=headers, json={"discrepancies": []}
    )
    assert again.status_code == 409 and again.json["error"] == "conflict"


def test_receipt_refusals(client, shipped, api_headers):
    shipment, _units = shipped
    hidden = client.get(f"/api/v1/shipments/{shipment.id}", headers=api_headers("H-HZ"))
    assert hidden.status_code == 404
    assert hidden.get_json()["error"] == "not_found"
    refused = client.post(
        f"/api/v1/shipments/{shipment.id}/receipt",
        headers=api_headers("S-CA"),
        json={"discrepancies": []},
    )
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "forbidden"
    bad = client.post(
        f"/api/v1/shipments/{shipment.id}/receipt",
        headers=api_headers("MF"),
        json={"discrepancies": [{"kind": "lost", "din": "x"}]},
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"] == "validation_failed"
