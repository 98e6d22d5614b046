"""The stock API: orders, receipts, unit actions, stock levels (and the same scope on the
stock page)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.stock import service as stock
from blood.stock.models import Order
from tests.conftest import login
from tests.stock.helpers import fulfil, order, units_in_stock


def test_order_through_the_api(client, session, world, his):
    response = client.post(
        "/api/v1/orders",
        headers=his,
        json={
            "centre": "BC",
            "urgency": "emergency",
            "lines": [{"component": "red_cells", "abo": "O", "rhd": "-", "quantity": 4}],
        },
    )
    assert response.status_code == 201, response.json
    assert response.json["number"].startswith("H-HZ-O") and response.json["status"] == "open"
    listed = client.get("/api/v1/orders", headers=his).json
    assert [o["number"] for o in listed] == [response.json["number"]]


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {
                "centre": "BC",
                "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 0}],
            },
            "lines",
        ),
        (
            {
                "centre": "BC",
                "lines": [{"component": "blood", "abo": "O", "rhd": "+", "quantity": 1}],
            },
            "lines",
        ),
        ({"centre": "BC", "urgency": "later", "lines": []}, "urgency"),
        ({"lines": []}, "centre"),
    ],
)
def test_bad_orders_are_422_and_write_nothing(client, session, world, his, payload, field):
    response = client.post("/api/v1/orders", headers=his, json=payload)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert session.exec(select(Order)).all() == []


def test_unknown_centre_is_a_field_error(client, world, his):
    response = client.post(
        "/api/v1/orders",
        headers=his,
        json={
            "centre": "XX",
            "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 1}],
        },
    )
    assert response.status_code == 422 and "centre" in response.json["errors"]["json"]


def test_receipt_and_unit_actions_through_the_api(app, client, session, world, his):
    with app.app_context():
        [unit] = units_in_stock(session, world)
        dispatch = fulfil(session, world, order(session, world, 1, urgency="routine"), [unit])
        session.commit()
    wrong_check = unit.din + ("0" if unit.check_character != "0" else "1")
    bad = client.post(
        "/api/v1/receipts",
        headers=his,
        json={
            "dispatch": dispatch.number,
            "units": [{"din": wrong_check, "product_code": "E0001", "temperature_ok": True}],
        },
    )
    assert bad.status_code == 422
    assert "does not match" in str(bad.json["errors"])

    ok = client.post(
        "/api/v1/receipts",
        headers=his,
        json={
            "dispatch": dispatch.number,
            "units": [{"din": unit.din, "product_code": "E0001", "temperature_ok": True}],
        },
    )
    assert ok.status_code == 200 and ok.json["status"] == "received"
    assert ok.json["units"][0]["state"] == "received"

    # There is one way to transfuse: the clinical record (POST /api/v1/transfusions).
    bare = {"din": unit.din, "product_code": "E0001", "action": "transfuse"}
    refused = client.post("/api/v1/units/actions", headers=his, json=bare)
    assert refused.status_code == 422 and "action" in refused.json["errors"]["json"]
    action = {"din": unit.din, "product_code": "E0001", "action": "return"}
    first = client.post("/api/v1/units/actions", headers=his, json=action)
    assert first.status_code == 200 and first.json["state"] == "returned"
    second = client.post("/api/v1/units/actions", headers=his, json=action)
    assert second.status_code == 404  # returned: no longer this hospital's unit
    assert second.json["error"] == "not_found"

    levels = client.get("/api/v1/stock", headers=his).json
    assert {(lv["component"], lv["group"]) for lv in levels} >= {("red_cells", "O+")}


def test_unknown_unit_is_404_and_bad_product_code_422(client, world, his):
    missing = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={"din": "B330026999999", "product_code": "E0001", "action": "return"},
    )
    assert missing.status_code == 404
    assert missing.json["error"] == "not_found"
    bad = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={"din": "B330026999999", "product_code": "X1", "action": "return"},
    )
    assert bad.status_code == 422
    assert bad.json["error"] == "validation_failed"


def test_authority_sees_its_jurisdiction_or_one_organisation_in_it(client, world, bearer, stocked):
    stocked(2)
    inspector = bearer(world.org("ZJ"))
    whole = client.get("/api/v1/stock", headers=inspector).json
    centre = client.get("/api/v1/stock?organisation=BC", headers=inspector).json
    hospital = client.get("/api/v1/stock?organisation=H-HZ", headers=inspector).json

    def o_pos(levels):
        return next(lv for lv in levels if lv["component"] == "red_cells" and lv["group"] == "O+")

    assert o_pos(whole)["on_hand"] == o_pos(centre)["on_hand"] == 2
    assert o_pos(hospital)["on_hand"] == 0
    wenzhou = bearer(world.org("WZ"))
    elsewhere = client.get("/api/v1/stock?organisation=BC", headers=wenzhou)
    assert elsewhere.status_code == 404
    assert elsewhere.json["error"] == "not_found"
    login(client, "p.inspector")
    page = client.get("/stock/?org=BC").get_data(as_text=True)
    assert "BC organisation" in page


def test_lab_results_through_the_api(app, client, session, world, bearer):
    from blood.stock.models import BloodDonation
    from tests.stock.helpers import donation, produce

    with app.app_context():
        good = donation(session, world, serial=301)
        bad = donation(session, world, serial=303)
        [unit] = produce(session, world, bad, stock.ComponentInput("E0001", 280))
        session.commit()
    lab_system = bearer(world.org("BC"))
    negative = {m: "negative" for m in ("hbsag", "anti_hcv", "anti_hiv", "syphilis", "nat")}
    refused = client.post(
        "/api/v1/blood-lab-results",
        headers=lab_system,
        json={"results": [{"din": good.din, "hbsag": "maybe", "ldl": 3}]},
    )
    assert refused.status_code == 422
    assert set(refused.json["errors"]["json"]) == {"results.0.hbsag", "results.0.ldl"}
    response = client.post(
        "/api/v1/blood-lab-results",
        headers=lab_system,
        json={
            "results": [
                {"din": good.din, "abo": "O", "rhd": "+", "alt": 12, **negative},
                {"din": bad.din + bad.check_character, **negative, "anti_hiv": "reactive"},
            ]
        },
    )
    assert response.status_code == 201, response.json
    first, second = response.json
    assert first == {"din": good.din, "group_status": "confirmed", "failed": [], "discarded": []}
    assert second["failed"] == ["anti_hiv"]
    assert [u["din"] for u in second["discarded"]] == [unit.din]
    assert second["discarded"][0]["state"] == "discarded"
    session.expire_all()
    assert session.get(BloodDonation, good.id).group_status == "confirmed"


def test_a_held_unit_is_returned_or_discarded_through_the_api(app, client, session, world, his):
    from blood.stock.lifecycle import Action
    from tests.helpers import as_user
    from tests.stock.helpers import received

    with app.app_context():
        [held, other] = received(session, world, 2)
        for unit in (held, other):
            stock.transition(
                session=session,
                actor=as_user(session, world, "hhz.officer"),
                unit=unit,
                action=Action.HOLD,
                holder=world.org("H-HZ"),
            )
        session.commit()
    ref = {"din": held.din, "product_code": held.product_code}
    restocked = client.post("/api/v1/units/actions", headers=his, json={**ref, "action": "restock"})
    assert restocked.status_code == 403 and restocked.json["error"] == "forbidden"
    no_reason = client.post("/api/v1/units/actions", headers=his, json={**ref, "action": "discard"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    discarded = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={**ref, "action": "discard", "reason": "temperature_excursion"},
    )
    assert discarded.status_code == 200 and discarded.json["state"] == "discarded"
    returned = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={"din": other.din, "product_code": other.product_code, "action": "return"},
    )
    assert returned.status_code == 200 and returned.json["state"] == "returned"


def test_the_order_list_api_filters_as_the_list_page_does(app, client, session, world, his):
    with app.app_context():
        routine = order(session, world, urgency="routine")
        urgent = order(session, world, urgency="urgent")
        session.commit()
    urgent_only = client.get("/api/v1/orders?urgency=urgent", headers=his)
    assert urgent_only.status_code == 200
    assert [o["number"] for o in urgent_only.json] == [urgent.number]
    by_number = client.get(f"/api/v1/orders?q={routine.number[-4:]}", headers=his).json
    assert routine.number in [o["number"] for o in by_number]
    oldest_first = client.get("/api/v1/orders?sort=created", headers=his).json
    assert [o["number"] for o in oldest_first] == [routine.number, urgent.number]
    assert client.get("/api/v1/orders?state=open&organisation=BC", headers=his).json
    assert client.get("/api/v1/orders?organisation=H-WZ", headers=his).json == []


@pytest.mark.parametrize(
    "query",
    [
        "urgency=soon",
        "state=lost",
        "sort=colour",
        "from=2026-02-01&to=2026-01-01",
        "q=" + "x" * 101,
    ],
)
def test_the_order_list_api_refuses_bad_filters(client, world, his, query):
    answer = client.get(f"/api/v1/orders?{query}", headers=his)
    assert answer.status_code == 422
    assert answer.json["error"]


def test_the_dispatch_list_api_filters_by_state(app, client, session, world, his):
    with app.app_context():
        units = units_in_stock(session, world, n=1)
        placed = order(session, world, quantity=1)
        dispatch = fulfil(session, world, placed, units)
        session.commit()
    in_transit = client.get("/api/v1/dispatches?state=in_transit", headers=his).json
    assert [d["number"] for d in in_transit] == [dispatch.number]
    assert client.get("/api/v1/dispatches?state=received", headers=his).json == []
    assert client.get("/api/v1/dispatches?state=lost", headers=his).status_code == 422
