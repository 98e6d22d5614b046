"""The dispatch list: filters, sort and pages keep each other in the links; another
hospital's dispatches never appear; bad parameters are named beside the field."""

from __future__ import annotations

import re

from blood.stock import service as stock
from tests.conftest import login
from tests.helpers import as_user
from tests.stock.helpers import fulfil, order, units_in_stock

ROW = re.compile(r'<tr data-dispatch="(\d+)">')


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _dispatches(app, session, world):
    with app.app_context():
        units = units_in_stock(session, world, 3)
        two = fulfil(session, world, order(session, world, quantity=2), units[:2])
        one = fulfil(session, world, order(session, world, quantity=1), units[2:])
        session.commit()
    return two, one


def test_filter_sort_and_paging_keep_each_other(app, client, session, world):
    two, one = _dispatches(app, session, world)
    login(client, "bc.clerk")
    html = client.get("/stock/dispatches?state=in_transit&sort=units").get_data(as_text=True)
    assert _rows(html) == [one.id, two.id]
    assert "H-HZ organisation" in html
    assert re.search(r'href="/stock/dispatches\?state=in_transit&amp;sort=-units"', html)
    assert 'name="sort" value="units"' in html
    assert _rows(client.get(f"/stock/dispatches?q={two.number}").get_data(as_text=True)) == [two.id]
    assert _rows(client.get("/stock/dispatches?state=received").get_data(as_text=True)) == []
    with app.app_context():
        actor = as_user(session, world, "bc.clerk")
        first = stock.dispatch_list(
            session=session, actor=actor, query=stock.DispatchListQuery(sort="number"), size=1
        )
        second = stock.dispatch_list(
            session=session,
            actor=actor,
            query=stock.DispatchListQuery(sort="number", page=2),
            size=1,
        )
    assert first.total == 2 and first.pages == 2
    numbers = [r.dispatch.number for r in first.items + second.items]
    assert numbers == sorted([two.number, one.number])


def test_another_hospitals_dispatches_never_appear(app, client, session, world):
    two, _one = _dispatches(app, session, world)
    login(client, "hwz.officer")
    assert _rows(client.get("/stock/dispatches").get_data(as_text=True)) == []
    assert _rows(client.get(f"/stock/dispatches?q={two.number}").get_data(as_text=True)) == []


def test_bad_parameters_are_named_beside_the_field(app, client, session, world):
    _dispatches(app, session, world)
    login(client, "bc.clerk")
    bad = client.get("/stock/dispatches?kind=gift&from=tomorrow&sort=weight")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-kind-error"' in html and 'id="f-from-error"' in html
    assert len(_rows(html)) == 2
