"""A unit's ISBT 128 label, a shipment's labels and its packing list, in both languages."""

import html
import re

from blood import isbt128
from tests.conftest import login


def _barcodes(page: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r'data-barcode="([^"]+)"', page)]


def test_unit_label_has_the_four_quadrants_and_their_barcodes(client, world, shipped):
    _shipment, units = shipped
    unit = units[0]
    login(client, "sca.quality")
    page = client.get(f"/station/units/{unit.din}/label").get_data(as_text=True)
    check = isbt128.check_character(unit.din)
    assert f'<span class="din-check" title="Check character">{check}</span>' in page
    codes = _barcodes(page)
    assert isbt128.barcode_data(unit.din) in codes
    assert isbt128.abo_rhd_data(unit.abo, unit.rhd) in codes
    assert "=<E0010000" in codes
    assert isbt128.collection_data(unit.started_at) not in codes  # printed as text only
    assert 'src="data:image/svg+xml;base64,' in page
    assert "labels.css" in page
    assert unit.blood_group in page and "Source plasma (apheresis)" in page


def test_unit_label_in_chinese(client, world, shipped):
    _shipment, units = shipped
    login(client, "sca.quality")
    client.get("/lang/zh_CN")
    page = client.get(f"/station/units/{units[0].din}/label").get_data(as_text=True)
    assert "校验" in page  # the check character's title, translated
    assert "Source plasma" not in page


def test_shipment_labels_one_per_unit(client, world, shipped):
    shipment, units = shipped
    login(client, "sca.quality")
    page = client.get(f"/station/shipments/{shipment.id}/labels").get_data(as_text=True)
    assert page.count('class="isbt-label"') == len(units)
    for unit in units:
        assert isbt128.barcode_data(unit.din) in _barcodes(page)


def test_packing_list_has_each_din_barcode_and_the_shipment_number(client, world, shipped):
    shipment, units = shipped
    login(client, "mf.clerk")  # the addressee prints it too
    page = client.get(f"/station/shipments/{shipment.id}/packing-list").get_data(as_text=True)
    codes = _barcodes(page)
    assert shipment.number in codes
    for unit in units:
        assert isbt128.barcode_data(unit.din) in codes
        assert f'<span class="din-check">{isbt128.check_character(unit.din)}</span>' in page


def test_another_station_cannot_print_the_papers(client, world, shipped):
    shipment, units = shipped
    login(client, "swz.registrar")
    assert client.get(f"/station/shipments/{shipment.id}/packing-list").status_code == 404
    assert client.get(f"/station/shipments/{shipment.id}/labels").status_code == 404
    assert client.get(f"/station/units/{units[0].din}/label").status_code == 404


def _post(client, url, data):
    from tests.plasma.forms import post

    return post(client, url, data)


def test_receipt_by_scanning_the_packing_list(client, session, world, shipped):
    shipment, units = shipped
    login(client, "mf.clerk")
    url = f"/station/shipments/{shipment.id}"
    scans = "\n".join([isbt128.barcode_data(units[0].din), units[1].din + units[1].check_character])
    done = _post(client, url, {"scanned": f"{shipment.number}\n{scans}"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(type(shipment), shipment.id).status == "received"


def test_a_wrong_check_character_is_refused_beside_the_field_and_nothing_written(
    client, session, world, shipped
):
    shipment, units = shipped
    check = isbt128.check_character(units[0].din)
    wrong = "0" if check != "0" else "1"
    login(client, "mf.clerk")
    url = f"/station/shipments/{shipment.id}"
    bad = _post(client, url, {"scanned": f"{units[0].din}{wrong}\n{units[1].din}"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    field = page[page.index('id="f-scanned"') :]
    assert 'id="e-scanned"' in field[:2000]
    assert f"Line 1 ({units[0].din}{wrong})" in html.unescape(page)
    session.expire_all()
    assert session.get(type(shipment), shipment.id).status == "shipped"


def test_an_unscanned_unit_or_another_shipment_number_is_refused(client, session, world, shipped):
    shipment, units = shipped
    login(client, "mf.clerk")
    url = f"/station/shipments/{shipment.id}"
    unscanned = _post(client, url, {"scanned": units[0].din})
    assert unscanned.status_code == 422
    assert f"Not scanned: {units[1].din}" in unscanned.get_data(as_text=True)
    other = _post(client, url, {"scanned": f"S-XX-S99999\n{units[0].din}\n{units[1].din}"})
    assert other.status_code == 422
    assert "S-XX-S99999 is not this shipment" in html.unescape(other.get_data(as_text=True))
    session.expire_all()
    assert session.get(type(shipment), shipment.id).status == "shipped"


def test_packing_list_in_chinese(client, world, shipped):
    shipment, units = shipped
    login(client, "sca.quality")
    client.get("/lang/zh_CN")
    page = client.get(f"/station/shipments/{shipment.id}/packing-list").get_data(as_text=True)
    assert f"装箱单 {shipment.number}" in page and "Packing list" not in page
    assert isbt128.barcode_data(units[0].din) in _barcodes(page)
