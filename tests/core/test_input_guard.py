"""Input that can never be stored is refused before any view runs: a 4xx in the one error
shape, never a 500 and never a half-written record (issue: robustness findings)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from blood.accounts.models import User
from blood.donors.models import Donor
from blood.stock.models import Order
from tests.conftest import csrf_token_of, login, make_resident_id
from tests.plasma.forms import post

ORDER = {
    "centre": "BC",
    "urgency": "routine",
    "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2}],
}


@pytest.fixture
def his(api_headers):
    return api_headers("H-HZ")


def post_json(client, path, text: str, headers):
    return client.post(path, data=text, headers={**headers, "Content-Type": "application/json"})


@pytest.mark.parametrize("path", ["/api/v1/orders/2147483648", "/api/v1/shipments/99999999999"])
def test_ids_wider_than_the_database_are_not_found(client, his, path):
    response = client.get(path, headers=his)
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_an_id_wider_than_the_database_in_a_page_address_is_not_found(client, world):
    login(client, "hhz.officer")
    response = client.get("/stock/orders/2147483648")
    assert response.status_code == 404
    assert "Not found." in response.get_data(as_text=True)


def test_an_integer_wider_than_the_database_in_a_body_is_a_field_error(client, session, his):
    order = {**ORDER, "lines": [{**ORDER["lines"][0], "quantity": 2**31}]}
    response = client.post("/api/v1/orders", json=order, headers=his)
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert "lines.0.quantity" in response.json["errors"]["json"]
    assert session.exec(select(Order)).all() == []


def test_the_unbounded_order_attack_is_refused_in_the_one_error_shape(client, session, his):
    """The outside test's order: 25,000 lines of 2,147,483,647 units each (1.9 MB, under the
    body cap). Refused as a whole, with one message (not one per line), and nothing written."""
    line = {"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2_147_483_647}
    body = json.dumps({**ORDER, "lines": [line] * 25_000})
    assert 1_500_000 < len(body) < 2 * 1024 * 1024
    response = post_json(client, "/api/v1/orders", body, his)
    assert response.status_code == 422
    answer = response.json
    assert {"code", "status", "error", "message", "request_id", "errors"} <= set(answer)
    assert answer["code"] == 422 and answer["error"] == "validation_failed"
    assert answer["request_id"] == response.headers["X-Request-ID"]
    assert answer["errors"] == {"json": {"lines": ["Give from 1 to 20 entries."]}}
    assert session.exec(select(Order)).all() == []
    listed = client.get("/api/v1/orders", headers=his)
    assert listed.status_code == 200 and listed.json == []


def test_an_order_within_the_line_limit_still_refuses_a_quantity_beyond_the_domain(
    client, session, his
):
    line = {"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2_147_483_647}
    response = client.post("/api/v1/orders", json={**ORDER, "lines": [line] * 20}, headers=his)
    assert response.status_code == 422
    errors = response.json["errors"]["json"]["lines"]
    assert set(errors) == {str(i) for i in range(20)}
    assert errors["0"] == {"quantity": ["Must be between 1 and 1000."]}
    assert session.exec(select(Order)).all() == []


@pytest.mark.parametrize(
    "text, where",
    [
        ('"note": "urgent\\u0000"', "note"),
        ('"note": "\\ud800"', "note"),
        ('"centre\\u0000": "BC"', "<key>"),
    ],
)
def test_nul_bytes_and_lone_surrogates_in_json_are_refused(client, session, his, text, where):
    body = json.dumps(ORDER)[:-1] + ", " + text + "}"
    response = post_json(client, "/api/v1/orders", body, his)
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert any(where in key for key in response.json["errors"]["json"])
    assert session.exec(select(Order)).all() == []


def test_a_nul_byte_in_a_query_parameter_is_refused(client, his):
    response = client.get("/api/v1/organisations?kind=hospital%00", headers=his)
    assert response.status_code == 422
    assert response.json["errors"]["query"]["kind"] == ["Contains a NUL character."]


def test_a_nul_byte_in_a_search_box_is_refused_on_the_page(client, world):
    login(client, "sca.registrar")
    response = client.get("/station/donors?q=1234%00")
    assert response.status_code == 422
    assert "Some fields are not valid." in response.get_data(as_text=True)


def test_a_nul_byte_in_a_posted_form_is_refused(client, session, world):
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": "sca.\x00registrar",
            "password": "x",
            "csrf_token": csrf_token_of(page.get_data(as_text=True)),
        },
    )
    assert response.status_code == 422


@pytest.mark.parametrize("depth", [40, 100_000])
def test_json_nested_past_reason_is_a_bad_request(client, his, depth):
    response = post_json(client, "/api/v1/orders", "[" * depth + "]" * depth, his)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"
    assert "nested too deeply" in response.json["message"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_numbers(client, his, constant):
    body = json.dumps(ORDER).replace('"quantity": 2', f'"quantity": {constant}')
    response = post_json(client, "/api/v1/orders", body, his)
    assert response.status_code == 400
    assert response.json["error"] == "bad_request"


@pytest.mark.parametrize("hidden", ["\u202e", "\u200b", "\ufeff", "\x07"])
def test_text_that_hides_characters_is_refused_where_people_read_it(client, session, his, hidden):
    response = client.post("/api/v1/orders", json={**ORDER, "note": f"O{hidden}neg"}, headers=his)
    assert response.status_code == 422
    assert "hidden characters" in response.json["errors"]["json"]["note"][0]
    assert session.exec(select(Order)).all() == []


def test_text_is_stored_in_one_normal_form(client, session, his):
    decomposed = "Ame\u0301lie"  # e + combining acute accent
    response = client.post("/api/v1/orders", json={**ORDER, "note": decomposed}, headers=his)
    assert response.status_code == 201
    [order] = session.exec(select(Order)).all()
    assert order.note == "Am\u00e9lie"


def test_an_api_write_without_credentials_is_unauthenticated(client):
    response = client.post("/api/v1/orders", json=ORDER, headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- person names: a name is read by people, so it must show what it is ---------------------

HIDDEN = ["\u202e", "\u200b", "\ufeff", "\x07", "\x1b"]


def _register_donor(client, name: str):
    return post(client, "/station/donors/new", {"resident_id": make_resident_id(), "name": name})


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_donor_name_that_hides_characters_is_refused_at_registration(
    client, session, world, hidden
):
    login(client, "sca.registrar")
    response = _register_donor(client, f"王{hidden}芳")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Contains hidden characters: U+{ord(hidden):04X}." in html
    assert session.exec(select(Donor)).all() == []


def test_a_donor_name_is_stored_in_one_normal_form(client, session, world):
    login(client, "sca.registrar")
    response = _register_donor(client, "  Zoe\u0308 Wang ")  # e + combining diaeresis
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    [donor] = session.exec(select(Donor)).all()
    assert donor.name == "Zo\u00eb Wang"


def _create_user(client, display_name: str):
    page = client.get("/admin/users").get_data(as_text=True)
    return client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_token_of(page),
            "username": "sca.newclerk",
            "display_name": display_name,
            "password": "a long enough passphrase 42",
            "roles": ["registrar"],
            "locale": "zh_CN",
        },
    )


@pytest.mark.parametrize("hidden", HIDDEN)
def test_a_users_display_name_that_hides_characters_is_refused(client, session, world, hidden):
    login(client, "sca.admin")
    response = _create_user(client, f"Admin{hidden}istrator")
    assert response.status_code == 422
    assert f"Contains hidden characters: U+{ord(hidden):04X}." in response.get_data(as_text=True)
    assert session.exec(select(User).where(User.username == "sca.newclerk")).all() == []


def test_a_users_display_name_is_stored_in_one_normal_form(client, session, world):
    login(client, "sca.admin")
    response = _create_user(client, "Rene\u0301e Li")  # e + combining acute accent
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    user = session.exec(select(User).where(User.username == "sca.newclerk")).one()
    assert user.display_name == "Ren\u00e9e Li"


def test_an_empty_optional_query_parameter_is_not_given_as_the_document_says(client, his):
    spec = client.get("/api/v1/openapi.json").json
    [state] = [
        p for p in spec["paths"]["/api/v1/units"]["get"]["parameters"] if p["name"] == "state"
    ]
    assert state["allowEmptyValue"] is True
    assert (
        client.get("/api/v1/units?state=", headers=his).json
        == client.get("/api/v1/units", headers=his).json
    )
    refused = client.get("/api/v1/units?state=nonsense", headers=his)
    assert refused.status_code == 422 and "state" in refused.json["errors"]["query"]


@pytest.mark.parametrize("query", ["stae=issued", "state=issued&cache=1", "page=1&x=1"])
def test_a_query_parameter_the_operation_does_not_take_is_refused(client, his, query):
    response = client.get(f"/api/v1/units?{query}", headers=his)
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    unknown = {name for name in (p.split("=")[0] for p in query.split("&"))} - {"state", "page"}
    assert set(response.json["errors"]["query"]) == unknown


def test_the_documented_query_parameters_are_taken(client, his):
    answer = client.get("/api/v1/units?state=received&page=1&page_size=5", headers=his)
    assert answer.status_code == 200


def test_a_display_name_from_the_cli_is_cleaned_by_the_same_rule(runner, world):
    result = runner.invoke(
        args=[
            "blood",
            "create-user",
            "cli.user",
            "--org",
            "ZJ",
            "--name",
            "李\u202e伟",
            "--role",
            "inspector",
        ],
        env={"BLOOD_NEW_USER_PASSWORD": "a-long-first-passphrase"},
    )
    assert result.exit_code != 0
    assert "hidden characters" in result.output and "U+202E" in result.output
