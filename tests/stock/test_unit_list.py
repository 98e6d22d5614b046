"""The blood-unit list: DIN search, state/component/group/expiry filters, sortable columns and
pages kept in the links, near-expiry highlighted, and only the organisation's own units."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import render_template_string

from blood.db import utcnow
from blood.pagination import Page, PageRequest
from blood.stock import service as stock
from blood.stock.models import Unit
from tests.conftest import login
from tests.helpers import as_user
from tests.stock.helpers import logout, received

ROW = re.compile(r'<tr data-unit="(\d+)"')


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def test_group_filter_and_sort_keep_each_other(app, client, session, world, stocked):
    o_units = stocked(2, abo="O", rhd="+", first_serial=301)
    a_units = stocked(2, abo="A", rhd="+", first_serial=401)
    login(client, "bc.clerk")
    html = client.get("/stock/units?group=A%2B&sort=-expires").get_data(as_text=True)
    listed = _rows(html)
    assert sorted(listed) == sorted(u.id for u in a_units)
    assert not set(listed) & {u.id for u in o_units}
    expiries = {u.id: u.expires_at for u in a_units}
    assert listed == sorted(listed, key=lambda i: (expiries[i], i), reverse=True)
    # Sort headers keep the filter; the search form keeps the sort.
    assert re.search(r'href="/stock/units\?group=A%2B&amp;sort=din"', html)
    assert 'name="sort" value="-expires"' in html
    din = client.get(f"/stock/units?q={a_units[0].din[-6:]}").get_data(as_text=True)
    assert _rows(din) == [a_units[0].id]


def test_paging_follows_the_sort(app, session, world, stocked):
    made = stocked(3, first_serial=301)
    with app.app_context():
        actor = as_user(session, world, "bc.clerk")
        query = stock.UnitListQuery(sort="din")
        first = stock.live_units(session=session, actor=actor, page=PageRequest(1, 2), query=query)
        second = stock.live_units(session=session, actor=actor, page=PageRequest(2, 2), query=query)
    assert first.total == 3 and first.pages == 2
    dins = [u.din for u in first.items + second.items]
    assert dins == sorted(u.din for u in made)


def test_pager_keeps_search_filters_and_sort(app):
    page = Page(items=[], page=2, size=50, total=120)
    args = {"q": "B33", "group": "O+", "sort": "-expires", "page": "2"}
    with app.test_request_context("/stock/units"):
        html = render_template_string(
            '{% from "_list.html" import list_pager %}{{ list_pager(page, "stock.units", args) }}',
            page=page,
            args=args,
        )
    [nxt] = re.findall(r'href="([^"]+)" rel="next"', html)
    [prev] = re.findall(r'href="([^"]+)" rel="prev"', html)
    for link, number in ((nxt, 3), (prev, 1)):
        assert f"page={number}" in link and "q=B33" in link
        assert "group=O%2B" in link and "sort=-expires" in link


def test_near_expiry_is_highlighted(app, client, session, world, stocked):
    soon, later = stocked(2)
    with app.app_context():
        session.execute(
            sa.update(Unit)
            .where(Unit.id == soon.id)
            .values(expires_at=utcnow() + timedelta(hours=20))
        )
        session.commit()
    login(client, "bc.clerk")
    html = client.get("/stock/units").get_data(as_text=True)
    assert f'<tr data-unit="{soon.id}" data-state="available" class="near-expiry">' in html
    assert f'<tr data-unit="{later.id}" data-state="available">' in html


def test_another_organisations_units_never_appear(app, client, session, world):
    with app.app_context():
        [unit] = received(session, world, 1)
        session.commit()
    login(client, "hwz.officer")
    assert _rows(client.get("/stock/units").get_data(as_text=True)) == []
    assert _rows(client.get(f"/stock/units?q={unit.din}").get_data(as_text=True)) == []
    logout(client)
    login(client, "hhz.officer")
    assert _rows(client.get(f"/stock/units?q={unit.din}").get_data(as_text=True)) == [unit.id]


def test_bad_parameters_are_named_beside_the_field(app, client, session, world, stocked):
    stocked(1)
    login(client, "bc.clerk")
    bad = client.get("/stock/units?component=blood&group=C%2B&to=someday&sort=price")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    for name in ("component", "group", "to"):
        assert f'id="f-{name}-error"' in html
    assert len(_rows(html)) == 1
