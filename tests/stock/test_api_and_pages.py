"""The stock API (orders, receipts, unit actions, stock) and the stock pages."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.accounts.service import create_token
from blood.stock import service as stock
from blood.stock.models import Order
from tests.conftest import csrf_token_of, login
from tests.helpers import as_user
from tests.stock.helpers import units_in_stock


def bearer(app, session, org):
    with app.app_context():
        _row, plaintext = create_token(
            session=session, actor=Actor.system(), organisation=org, name="HIS"
        )
        session.commit()
    return {"Authorization": f"Bearer {plaintext}", "Accept-Language": "en"}


@pytest.fixture
def his(app, session, world):
    return bearer(app, session, world.org("H-HZ"))


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
        placed = stock.create_order(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            centre_code="BC",
            urgency="routine",
            lines=[stock.OrderLineInput("red_cells", "O", "+", 1)],
        )
        dispatch = stock.fulfil_order(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            order_id=placed.id,
            unit_ids=[unit.id],
        )
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

    action = {"din": unit.din, "product_code": "E0001", "action": "transfuse"}
    first = client.post("/api/v1/units/actions", headers=his, json=action)
    assert first.status_code == 200 and first.json["state"] == "transfused"
    second = client.post("/api/v1/units/actions", headers=his, json=action)
    assert second.status_code == 409
    assert second.json["error"] == "invalid_transition"
    assert "transfused" in second.json["message"]

    levels = client.get("/api/v1/stock", headers=his).json
    assert {(lv["component"], lv["group"]) for lv in levels} >= {("red_cells", "O+")}


def test_unknown_unit_is_404_and_bad_product_code_422(client, world, his):
    missing = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={"din": "B330026999999", "product_code": "E0001", "action": "transfuse"},
    )
    assert missing.status_code == 404
    bad = client.post(
        "/api/v1/units/actions",
        headers=his,
        json={"din": "B330026999999", "product_code": "X1", "action": "transfuse"},
    )
    assert bad.status_code == 422


def test_stock_page_shows_colour_bands(app, client, session, world):
    with app.app_context():
        units_in_stock(session, world, 2)
        session.commit()
    login(client, "bc.clerk")
    html = client.get("/stock/").get_data(as_text=True)
    assert 'class="phase-green" data-group="O+"' in html  # stock but no usage yet
    assert 'class="phase-none" data-group="AB-"' in html


def test_order_and_fulfil_through_the_pages(app, client, session, world):
    with app.app_context():
        [unit] = units_in_stock(session, world)
        session.commit()
    login(client, "hhz.officer")
    page = client.get("/stock/orders")
    created = client.post(
        "/stock/orders",
        data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "centre": "BC",
            "urgency": "urgent",
            "component.0": "red_cells",
            "group.0": "O+",
            "quantity.0": "1",
        },
    )
    assert created.status_code == 302
    order_url = created.headers["Location"]
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )

    login(client, "bc.clerk")
    page = client.get(order_url).get_data(as_text=True)
    assert f'value="{unit.id}" aria-label="{unit.label}" checked' in page  # FEFO suggestion
    sent = client.post(order_url, data={"csrf_token": csrf_token_of(page), "unit": str(unit.id)})
    assert sent.status_code == 302
    dispatch_url = sent.headers["Location"]
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )

    login(client, "hhz.officer")
    page = client.get(dispatch_url).get_data(as_text=True)
    received = client.post(dispatch_url, data={"csrf_token": csrf_token_of(page)})  # unticked
    assert received.status_code == 302
    session.expire_all()
    assert session.get(type(unit), unit.id).discard_reason == "temperature_excursion"


def test_bad_order_form_shows_errors(client, world):
    login(client, "hhz.officer")
    page = client.get("/stock/orders")
    response = client.post(
        "/stock/orders",
        data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "centre": "BC",
            "urgency": "urgent",
            "component.0": "red_cells",
            "group.0": "O+",
            "quantity.0": "-2",
        },
    )
    assert response.status_code == 422
    assert "Must be 1 or more." in response.get_data(as_text=True)


def test_station_staff_cannot_open_stock_pages(client, world):
    login(client, "sca.registrar")
    assert client.get("/stock/").status_code == 403


def test_authority_sees_its_jurisdiction_or_one_organisation_in_it(app, client, session, world):
    with app.app_context():
        units_in_stock(session, world, 2)
        session.commit()
    inspector = bearer(app, session, world.org("ZJ"))
    whole = client.get("/api/v1/stock", headers=inspector).json
    centre = client.get("/api/v1/stock?organisation=BC", headers=inspector).json
    hospital = client.get("/api/v1/stock?organisation=H-HZ", headers=inspector).json

    def o_pos(levels):
        return next(lv for lv in levels if lv["component"] == "red_cells" and lv["group"] == "O+")

    assert o_pos(whole)["on_hand"] == o_pos(centre)["on_hand"] == 2
    assert o_pos(hospital)["on_hand"] == 0
    wenzhou = bearer(app, session, world.org("WZ"))
    assert client.get("/api/v1/stock?organisation=BC", headers=wenzhou).status_code == 404
    login(client, "p.inspector")
    page = client.get("/stock/?org=BC").get_data(as_text=True)
    assert "BC organisation" in page


def test_a_blood_centre_registers_donors_with_the_same_form(client, session, world):
    from blood.donors.models import Donor
    from tests.conftest import make_resident_id

    login(client, "bc.collector")
    page = client.get("/station/donors/new")
    assert page.status_code == 200
    response = client.post(
        "/station/donors/new",
        data={
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
            "resident_id": make_resident_id(region="330106", serial=401),
            "name": "孙浩",
            "abo": "B",
            "rhd": "+",
        },
    )
    assert response.status_code == 302
    donor = session.exec(select(Donor)).one()
    assert donor.station_id == world.org("BC").id
    assert client.get(response.headers["Location"]).status_code == 200
