"""The plasma shipment list: the manufacturer sees sender, units and weight; search, state,
sort and pages keep each other in the links; another station's shipments never appear."""

from __future__ import annotations

import re

from blood.plasma import service as plasma
from tests.conftest import login
from tests.helpers import as_user

ROW = re.compile(r'<tr data-shipment="(\d+)">')


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _two_shipments(app, session, world, released_units):
    units = released_units(3)
    with app.app_context():
        actor = as_user(session, world, "sca.quality")
        big = plasma.build_shipment(
            session=session, actor=actor, manufacturer_code="MF", dins=[u.din for u in units[:2]]
        )
        small = plasma.build_shipment(
            session=session, actor=actor, manufacturer_code="MF", dins=[units[2].din]
        )
        session.commit()
    return big, small, units


def test_manufacturer_sees_sender_units_and_weight(app, client, session, world, released_units):
    big, small, units = _two_shipments(app, session, world, released_units)
    login(client, "mf.clerk")
    html = client.get("/station/shipments?sort=-units").get_data(as_text=True)
    assert _rows(html) == [big.id, small.id]
    row = html[html.index(f'data-shipment="{big.id}"') :].split("</tr>")[0]
    assert "S-CA organisation" in row
    assert '<td class="number">2</td>' in row
    weight = sum(u.total_weight_g for u in units[:2]) / 1000
    assert f'<td class="number">{weight:.1f}</td>' in row


def test_search_sort_and_paging_keep_each_other(app, client, session, world, released_units):
    big, small, _units = _two_shipments(app, session, world, released_units)
    login(client, "mf.clerk")
    html = client.get("/station/shipments?state=shipped&sort=weight").get_data(as_text=True)
    assert _rows(html) == [small.id, big.id]
    assert re.search(r'href="/station/shipments\?state=shipped&amp;sort=-weight"', html)
    assert 'name="sort" value="weight"' in html
    found = client.get(f"/station/shipments?q={small.number}").get_data(as_text=True)
    assert _rows(found) == [small.id]
    assert _rows(client.get("/station/shipments?state=received").get_data(as_text=True)) == []
    with app.app_context():
        actor = as_user(session, world, "mf.clerk")
        query = plasma.ShipmentListQuery(sort="number")
        first = plasma.shipment_list(session=session, actor=actor, query=query, size=1)
        second = plasma.shipment_list(
            session=session,
            actor=actor,
            query=plasma.ShipmentListQuery(sort="number", page=2),
            size=1,
        )
    assert first.total == 2 and first.pages == 2
    numbers = [r.shipment.number for r in first.items + second.items]
    assert numbers == sorted([big.number, small.number])


def test_another_stations_shipments_never_appear(app, client, session, world, released_units):
    big, _small, _units = _two_shipments(app, session, world, released_units)
    login(client, "swz.admin")
    assert _rows(client.get("/station/shipments").get_data(as_text=True)) == []
    assert _rows(client.get(f"/station/shipments?q={big.number}").get_data(as_text=True)) == []


def test_bad_parameters_are_named_beside_the_field(app, client, session, world, released_units):
    _two_shipments(app, session, world, released_units)
    login(client, "mf.clerk")
    bad = client.get("/station/shipments?state=lost&to=31.12.2026&sort=sender")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-state-error"' in html and 'id="f-to-error"' in html
    assert len(_rows(html)) == 2
