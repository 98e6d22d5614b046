"""The reads a hospital reconciles against: cursor over the server's record time, `since`,
scoping (an authority reads its jurisdiction), returns and discards, and the stock unit by
unit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from blood.clinical.models import Transfusion
from tests.clinical.helpers import now, payload


def record(client, headers, unit, **extra):
    answer = client.post("/api/v1/transfusions", headers=headers, json=payload(unit, **extra))
    assert answer.status_code == 201, answer.json
    return answer.json


def test_the_cursor_walks_every_record_once_in_record_order(client, his, unit_in_stock):
    made = [record(client, his, unit_in_stock())["id"] for _ in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/transfusions", headers=his, query_string=query).json
        seen += [item["id"] for item in page["items"]]
        cursor, pages = page["next_cursor"], pages + 1
        if not page["has_more"]:
            break
    assert seen == made and pages == 3
    # Kept for the next night: nothing new yet, the same cursor comes back.
    later = client.get("/api/v1/transfusions", headers=his, query_string={"cursor": cursor}).json
    assert later == {"items": [], "next_cursor": cursor, "has_more": False}
    newest = record(client, his, unit_in_stock())["id"]
    later = client.get("/api/v1/transfusions", headers=his, query_string={"cursor": cursor}).json
    assert [item["id"] for item in later["items"]] == [newest]


def test_since_is_the_servers_record_time(client, session, his, unit_in_stock):
    old = record(client, his, unit_in_stock())
    new = record(client, his, unit_in_stock())
    session.execute(
        sa.update(Transfusion)
        .where(Transfusion.id == old["id"])
        .values(recorded_at=now() - timedelta(days=2))
    )
    session.commit()
    since = (now() - timedelta(days=1)).isoformat()
    listed = client.get("/api/v1/transfusions", headers=his, query_string={"since": since}).json
    assert [item["id"] for item in listed["items"]] == [new["id"]]


@pytest.mark.parametrize(
    "query, field",
    [({"limit": 501}, "limit"), ({"limit": 0}, "limit"), ({"since": "yesterday"}, "since")],
)
def test_bad_paging_is_422(client, his, query, field):
    answer = client.get("/api/v1/transfusions", headers=his, query_string=query)
    assert answer.status_code == 422 and field in answer.json["errors"]["query"]


@pytest.mark.parametrize(
    "cursor", ["garbage", "WyJyZWFjdGlvbiIsIjIwMjYtMTEtMjJUMDI6NDE6MDcrMDA6MDAiLDFd"]
)
def test_a_cursor_the_server_did_not_give_for_this_list_is_refused(client, his, cursor):
    answer = client.get("/api/v1/transfusions", headers=his, query_string={"cursor": cursor})
    assert answer.status_code == 422 and answer.json["error"] == "bad_cursor"


def test_a_hospital_reads_only_its_own_and_an_authority_its_jurisdiction(
    client, headers, unit_in_stock
):
    hz = record(client, headers("H-HZ"), unit_in_stock())
    wz = record(client, headers("H-WZ"), unit_in_stock(hospital="H-WZ"))

    def ids(org, **query):
        answer = client.get("/api/v1/transfusions", headers=headers(org), query_string=query)
        assert answer.status_code == 200, answer.json
        return {item["id"] for item in answer.json["items"]}

    assert ids("H-HZ") == {hz["id"]} and ids("H-WZ") == {wz["id"]}
    assert ids("HZ") == {hz["id"]} and ids("WZ") == {wz["id"]}
    assert ids("ZJ") == {hz["id"], wz["id"]} and ids("ZJ", hospital="H-WZ") == {wz["id"]}
    assert (
        client.get(
            "/api/v1/transfusions", headers=headers("HZ"), query_string={"hospital": "H-WZ"}
        ).status_code
        == 404
    )
    assert client.get("/api/v1/transfusions", headers=headers("BC")).status_code == 403
    assert client.get("/api/v1/transfusions", headers=headers("S-CA")).status_code == 403


def test_one_record_answers_404_outside_scope(client, headers, unit_in_stock):
    hz = record(client, headers("H-HZ"), unit_in_stock())
    url = f"/api/v1/transfusions/{hz['id']}"
    assert client.get(url, headers=headers("H-HZ")).status_code == 200
    assert client.get(url, headers=headers("HZ")).status_code == 200
    assert client.get(url, headers=headers("H-WZ")).status_code == 404
    assert client.get(url, headers=headers("WZ")).status_code == 404
    assert client.get("/api/v1/transfusions/99999999", headers=headers("H-HZ")).status_code == 404


def test_only_the_recording_hospital_finds_its_patient_by_number(client, headers, unit_in_stock):
    mine = record(client, headers("H-HZ"), unit_in_stock(), patient_record_number="ZY 123")
    record(client, headers("H-HZ"), unit_in_stock(), patient_record_number="ZY-999")
    record(client, headers("H-WZ"), unit_in_stock(hospital="H-WZ"), patient_record_number="ZY123")
    search = "/api/v1/transfusions/search"
    found = client.post(search, headers=headers("H-HZ"), json={"patient_record_number": "zy-123"})
    assert [item["id"] for item in found.json["items"]] == [mine["id"]]
    elsewhere = client.post(
        search, headers=headers("H-WZ"), json={"patient_record_number": "ZY-999"}
    )
    assert elsewhere.json["items"] == []
    authority = client.post(search, headers=headers("ZJ"), json={"patient_record_number": "ZY123"})
    assert authority.status_code == 403 and authority.json["error"] == "patient_lookup_own_hospital"


def test_returns_and_discards_go_through_the_stock_and_are_read_back(
    client, session, his, unit_in_stock
):
    kept, back, held, broken = (
        unit_in_stock(),
        unit_in_stock(),
        unit_in_stock(state="on_hold"),
        unit_in_stock(component="plasma"),
    )
    returned = client.post(
        "/api/v1/returns",
        headers=his,
        json={
            "units": [
                {"din": back.din, "product_code": back.product_code, "reason": "not_needed"},
                {
                    "din": held.din,
                    "product_code": held.product_code,
                    "reason": "temperature_excursion",
                },
            ]
        },
    )
    assert returned.status_code == 201, returned.json
    assert [r["reason"] for r in returned.json] == ["not_needed", "temperature_excursion"]
    discarded = client.post(
        "/api/v1/discards",
        headers=his,
        json={
            "units": [{"din": broken.din, "product_code": broken.product_code, "reason": "damaged"}]
        },
    )
    assert discarded.status_code == 201 and discarded.json[0]["unit"]["component"] == "plasma"
    listed = client.get("/api/v1/returns", headers=his).json
    assert [item["unit"]["din"] for item in listed["items"]] == [back.din, held.din]
    assert client.get("/api/v1/discards", headers=his).json["items"][0]["reason"] == "damaged"
    stock = client.get("/api/v1/units", headers=his).json
    assert [u["din"] for u in stock] == [kept.din]


def test_a_refused_return_names_the_unit_and_returns_nothing(client, his, unit_in_stock):
    ok, used = unit_in_stock(), unit_in_stock(state="transfused")
    answer = client.post(
        "/api/v1/returns",
        headers=his,
        json={
            "units": [
                {"din": ok.din, "product_code": ok.product_code, "reason": "not_needed"},
                {"din": used.din, "product_code": used.product_code, "reason": "not_needed"},
            ]
        },
    )
    assert answer.status_code == 409 and answer.json["facts"]["index"] == 1
    assert client.get("/api/v1/returns", headers=his).json["items"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {
                "units": [
                    {
                        "din": "B330026000001",
                        "product_code": "E0001",
                        "reason": "deviation_rejected",
                    }
                ]
            },
            "units",
        ),
        ({"units": []}, "units"),
    ],
)
def test_discards_take_only_the_reasons_a_person_may_choose(client, his, body, field):
    answer = client.post("/api/v1/discards", headers=his, json=body)
    assert answer.status_code == 422 and field in answer.json["errors"]["json"]


def test_the_hospitals_stock_unit_by_unit_with_filters_and_pages(client, his, unit_in_stock):
    soon = unit_in_stock(expires_in=timedelta(days=1))
    later = unit_in_stock(expires_in=timedelta(days=10))
    plasma = unit_in_stock(component="plasma", expires_in=timedelta(days=100))
    held = unit_in_stock(state="on_hold")
    unit_in_stock(hospital="H-WZ")

    def dins(**query):
        answer = client.get("/api/v1/units", headers=his, query_string=query)
        assert answer.status_code == 200, answer.json
        return [u["din"] for u in answer.json]

    assert set(dins()) == {soon.din, later.din, plasma.din, held.din}
    assert dins(state="received", component="red_cells") == [soon.din, later.din]
    before = (now() + timedelta(days=2)).isoformat()
    assert dins(state="received", expires_before=before) == [soon.din]
    paged = client.get("/api/v1/units", headers=his, query_string={"page_size": 1, "page": 2})
    assert len(paged.json) == 1 and '"total": 4' in paged.headers["X-Pagination"]


def test_an_authority_has_no_stock_unit_by_unit(client, headers):
    assert client.get("/api/v1/units", headers=headers("HZ")).status_code == 403
