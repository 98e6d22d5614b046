"""A component's ISBT 128 label, a donation's and a dispatch's labels, the dispatch note."""

import html
import re

import pytest

from blood import isbt128
from tests.conftest import login
from tests.stock.helpers import fulfil, logout, order, units_in_stock


def _barcodes(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r'data-barcode="([^"]+)"', page)]


@pytest.fixture
def sent(app, session, world):
    """Two O+ red-cell units sent by BC to H-HZ for an order, committed."""
    with app.app_context():
        units = units_in_stock(session, world, 2)
        dispatch = fulfil(session, world, order(session, world, quantity=2), units)
        session.commit()
    return dispatch, units


def test_component_label_quadrants_and_barcodes(client, world, sent):
    _dispatch, units = sent
    unit = units[0]
    login(client, "bc.clerk")
    page = client.get(f"/stock/units/{unit.id}/label").get_data(as_text=True)
    codes = _barcodes(page)
    assert f'<span class="din-check" title="Check character">{unit.check_character}</span>' in page
    assert codes == [
        isbt128.barcode_data(unit.din),
        "=%5100",  # O+
        "=<E0001000",
        isbt128.expiry_data(unit.expires_at),
    ]
    assert "Red cells in MAP" in page


def test_component_label_in_chinese(client, world, sent):
    _dispatch, units = sent
    login(client, "bc.clerk")
    client.get("/lang/zh_CN")
    page = client.get(f"/stock/units/{units[0].id}/label").get_data(as_text=True)
    assert "悬浮红细胞" in page or "红细胞" in page
    assert "Red cells in MAP" not in page


def test_dispatch_labels_and_note(client, world, sent):
    dispatch, units = sent
    login(client, "hhz.officer")  # the addressee prints them too
    labels = client.get(f"/stock/dispatches/{dispatch.id}/labels").get_data(as_text=True)
    assert labels.count('class="isbt-label"') == 2
    note = client.get(f"/stock/dispatches/{dispatch.id}/note").get_data(as_text=True)
    codes = _barcodes(note)
    assert dispatch.number in codes
    for unit in units:
        assert isbt128.barcode_data(unit.din) in codes
        assert f'<span class="din-check">{unit.check_character}</span>' in note


def test_donation_labels(client, session, world, sent):
    _dispatch, units = sent
    login(client, "bc.clerk")
    page = client.get(f"/stock/donations/{units[0].donation_id}/labels").get_data(as_text=True)
    assert page.count('class="isbt-label"') == 1


def test_another_organisation_cannot_print_them(client, world, sent):
    dispatch, units = sent
    login(client, "swz.registrar")
    assert client.get(f"/stock/units/{units[0].id}/label").status_code == 404
    assert client.get(f"/stock/dispatches/{dispatch.id}/note").status_code == 404


def _receive(client, dispatch, units, scanned):
    from tests.plasma.forms import post

    return post(
        client,
        f"/stock/dispatches/{dispatch.id}",
        {"scanned": scanned, **{f"temperature_ok.{u.id}": "on" for u in units}},
    )


def test_hospital_receipt_by_scanning_the_dispatch_note(client, session, world, sent):
    dispatch, units = sent
    login(client, "hhz.officer")
    scans = [dispatch.number, isbt128.barcode_data(units[0].din), units[1].din]
    done = _receive(client, dispatch, units, "\n".join(scans))
    assert done.status_code == 302
    session.expire_all()
    assert session.get(type(dispatch), dispatch.id).status == "received"


def test_a_wrong_check_character_at_hospital_receipt_is_refused_and_nothing_written(
    client, session, world, sent
):
    dispatch, units = sent
    check = units[0].check_character
    wrong = "0" if check != "0" else "1"
    login(client, "hhz.officer")
    bad = _receive(client, dispatch, units, f"{units[0].din}{wrong}\n{units[1].din}")
    assert bad.status_code == 422
    page = html.unescape(bad.get_data(as_text=True))
    assert 'id="e-scanned"' in page and f"Line 1 ({units[0].din}{wrong})" in page
    missing = _receive(client, dispatch, units, units[0].din)
    assert missing.status_code == 422
    assert f"Not scanned: {units[1].din}" in missing.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(dispatch), dispatch.id).status == "in_transit"


def test_api_receipt_checks_the_scans_with_the_same_parser(client, session, world, sent, his):
    dispatch, units = sent
    body = {
        "dispatch": dispatch.number,
        "units": [
            {"din": u.din, "product_code": u.product_code, "temperature_ok": True} for u in units
        ],
        "scanned": f"{units[0].din}0\n{units[1].din}",
    }
    refused = client.post("/api/v1/receipts", json=body, headers=his)
    if units[0].check_character == "0":
        body["scanned"] = f"{units[0].din}1\n{units[1].din}"
        refused = client.post("/api/v1/receipts", json=body, headers=his)
    assert refused.status_code == 422
    assert "scanned" in refused.get_data(as_text=True)
    session.expire_all()
    assert session.get(type(dispatch), dispatch.id).status == "in_transit"


def test_dispatch_note_in_chinese(client, world, sent):
    dispatch, units = sent
    login(client, "hhz.officer")
    client.get("/lang/zh_CN")
    note = client.get(f"/stock/dispatches/{dispatch.id}/note").get_data(as_text=True)
    assert f"出库单 {dispatch.number}" in note and "Dispatch note" not in note
    assert isbt128.barcode_data(units[0].din) in _barcodes(note)


def test_a_scanned_dispatch_number_opens_the_dispatch(client, world, sent):
    dispatch, _units = sent
    login(client, "hhz.officer")
    found = client.get(f"/stock/dispatches/scan?number={dispatch.number.lower()}")
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/stock/dispatches/{dispatch.id}")
    logout(client)
    login(client, "swz.registrar")  # another organisation: not found, said so
    page = client.get(f"/stock/dispatches/scan?number={dispatch.number}", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert f"No dispatch with the number {dispatch.number} here." in text
    assert f"/stock/dispatches/{dispatch.id}" not in text
