"""The trace of a DIN: the whole chain for the collecting centre and its authority, a
hospital's own links only (from its receipt on, no donor, no tests), nothing for an
organisation outside the chain (404); the check character verified."""

from __future__ import annotations

import pytest

from blood import isbt128
from tests.trace.helpers import full_chain


@pytest.fixture
def chain(app, session, world):
    with app.app_context():
        made = full_chain(session, world)
        session.commit()
    return made


def _kinds(trace):
    return [e["kind"] for e in trace["timeline"]]


def test_collecting_centre_sees_donor_masked_tests_and_every_unit(client, chain, api_headers):
    din = chain.donation.din
    answer = client.get(f"/api/v1/trace/{din}", headers=api_headers("BC"))
    assert answer.status_code == 200
    trace = answer.json
    assert "李" in trace["donation"]["donor"] and "李雷" not in trace["donation"]["donor"]
    assert trace["donation"]["tests"]
    assert {u["product_code"] for u in trace["units"]} == {"E0001", "E0004"}
    assert _kinds(trace)[:2] == ["collected", "tested"]
    assert "issue" in _kinds(trace) and "receive" not in _kinds(trace)


def test_hospital_sees_its_unit_from_receipt_on_without_donor_or_tests(client, chain, api_headers):
    trace = client.get(f"/api/v1/trace/{chain.donation.din}", headers=api_headers("H-HZ")).json
    assert trace["donation"] is None
    assert [u["product_code"] for u in trace["units"]] == ["E0001"]
    assert _kinds(trace) == ["receive"]
    assert trace["din"] == chain.donation.din


def test_province_authority_sees_the_whole_chain(client, chain, api_headers):
    trace = client.get(f"/api/v1/trace/{chain.donation.din}", headers=api_headers("ZJ")).json
    assert trace["donation"] is not None
    assert {"issue", "receive"} <= set(_kinds(trace))
    assert len(trace["units"]) == 2


def test_city_authority_sees_only_its_hospital_links(client, chain, api_headers):
    trace = client.get(f"/api/v1/trace/{chain.donation.din}", headers=api_headers("WZ")).json
    assert trace["donation"] is None  # BC is under the province, not Wenzhou
    assert [u["product_code"] for u in trace["units"]] == ["E0004"]


def test_organisation_outside_the_chain_gets_404(client, chain, api_headers):
    answer = client.get(f"/api/v1/trace/{chain.donation.din}", headers=api_headers("S-WZ"))
    assert answer.status_code == 404


def test_manufacturer_sees_the_plasma_shipped_to_it(client, chain, api_headers):
    trace = client.get(f"/api/v1/trace/{chain.plasma_shipped.din}", headers=api_headers("MF")).json
    assert trace["donation"] is None
    assert _kinds(trace) == ["shipped"]


def test_wrong_check_character_is_refused(client, chain, api_headers):
    din = chain.donation.din
    wrong = next(c for c in "0123456789" if c != isbt128.check_character(din))
    headers = api_headers("BC")
    answer = client.get(f"/api/v1/trace/{din}{wrong}", headers=headers)
    assert answer.status_code == 422
    right = client.get(f"/api/v1/trace/{din}{isbt128.check_character(din)}", headers=headers)
    assert right.status_code == 200
