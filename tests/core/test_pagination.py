"""Lists come a page at a time, in the API (X-Pagination) and on the pages (?page=)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import login

ORDER = {
    "centre": "BC",
    "urgency": "routine",
    "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2}],
}


@pytest.fixture
def his(api_headers):
    return api_headers("H-HZ")


@pytest.fixture
def three_orders(client, his):
    for _ in range(3):
        assert client.post("/api/v1/orders", json=ORDER, headers=his).status_code == 201


def test_an_api_list_is_paged_and_says_how_many_there_are(client, his, three_orders):
    first = client.get("/api/v1/orders?page_size=2", headers=his)
    assert len(first.json) == 2
    meta = json.loads(first.headers["X-Pagination"])
    assert meta["total"] == 3 and meta["total_pages"] == 2 and meta["next_page"] == 2
    second = client.get("/api/v1/orders?page_size=2&page=2", headers=his)
    assert len(second.json) == 1
    assert {o["number"] for o in first.json}.isdisjoint({o["number"] for o in second.json})


def test_a_page_larger_than_allowed_is_refused(client, his):
    response = client.get("/api/v1/orders?page_size=1000", headers=his)
    assert response.status_code == 422
    assert "page_size" in response.json["errors"]["query"]


def test_a_page_far_past_the_end_is_empty_not_an_error(client, his, three_orders):
    response = client.get("/api/v1/orders?page=999999999999", headers=his)
    assert response.status_code == 200 and response.json == []


@pytest.mark.parametrize("path", ["/api/v1/dispatches", "/api/v1/shipments"])
def test_every_list_endpoint_is_paged(client, his, path):
    response = client.get(f"{path}?page_size=5", headers=his)
    assert response.status_code == 200
    assert "X-Pagination" in response.headers


def test_a_list_page_shows_its_pages_and_shrugs_off_odd_page_numbers(client, world, his):
    for _ in range(3):
        client.post("/api/v1/orders", json=ORDER, headers=his)
    login(client, "hhz.officer")
    assert client.get("/stock/orders?page=abc").status_code == 200
    assert client.get("/stock/orders?page=-3").status_code == 200
    assert client.get("/stock/orders?page=99999999999999999999").status_code == 200
