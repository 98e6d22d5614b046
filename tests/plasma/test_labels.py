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
