"""POST /api/v1/transfusions/batch: up to 1,000 records, each standing or falling alone,
the whole batch one request for Idempotency-Key."""

from __future__ import annotations

from sqlmodel import select

from blood.clinical.models import Transfusion
from blood.stock.models import Unit
from tests.clinical.helpers import payload

URL = "/api/v1/transfusions/batch"


def test_each_item_stands_or_falls_alone(client, session, his, unit_in_stock):
    good, incompatible, other = unit_in_stock(), unit_in_stock(abo="A"), unit_in_stock()
    items = [
        payload(good),
        payload(incompatible, patient_abo="O"),
        {"din": "not a din"},
        payload(other, pre_hb_g_l=130, patient_record_number="ZY-5"),
        payload(good, patient_record_number="ZY-9"),  # the same unit again
    ]
    answer = client.post(URL, headers=his, json={"items": items})
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert body["recorded"] == 2 and body["refused"] == 3
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in results] == [201, 422, 422, 201, 409]
    assert results[1]["error"]["error"] == "abo_incompatible"
    assert results[1]["error"]["code"] == 422 and results[1]["transfusion"] is None
    assert "din" in results[2]["error"]["errors"]["json"]
    assert results[3]["transfusion"]["flags"][0]["code"] == "red_cells_hb_high"
    assert results[4]["error"]["error"] == "unit_already_transfused"
    session.expire_all()
    assert len(session.exec(select(Transfusion)).all()) == 2
    assert session.get(Unit, incompatible.id).state == "received"


def test_a_batch_replayed_with_its_idempotency_key_records_nothing_twice(
    client, session, his, unit_in_stock
):
    units = [unit_in_stock() for _ in range(3)]
    body = {"items": [payload(u, patient_record_number=f"ZY-{i}") for i, u in enumerate(units)]}
    headers = {**his, "Idempotency-Key": "nightly-2026-11-22"}
    first = client.post(URL, headers=headers, json=body)
    again = client.post(URL, headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert again.json == first.json and first.json["recorded"] == 3
    assert len(session.exec(select(Transfusion)).all()) == 3
    changed = client.post(URL, headers=headers, json={"items": body["items"][:1]})
    assert changed.status_code == 422 and changed.json["error"] == "idempotency_key_reused"


def test_a_batch_is_at_most_1000_items(client, his):
    answer = client.post(URL, headers=his, json={"items": [{"din": "x"}] * 1001})
    assert answer.status_code == 422 and "items" in answer.json["errors"]["json"]


def test_an_empty_batch_or_one_that_is_not_a_list_is_422(client, his):
    assert client.post(URL, headers=his, json={"items": []}).status_code == 422
    assert client.post(URL, headers=his, json={"items": "all"}).status_code == 422


def test_only_a_hospital_sends_a_batch(client, headers, unit_in_stock):
    body = {"items": [payload(unit_in_stock())]}
    assert client.post(URL, headers=headers("HZ"), json=body).status_code == 403
