"""Expiry: the idempotent daily job, and the list of units about to expire."""

from __future__ import annotations

from blood.pagination import PageRequest
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from tests.conftest import login
from tests.helpers import as_user
from tests.stock.helpers import age, units_in_stock


def test_expiry_job_is_idempotent(app, session, world):
    with app.app_context():
        fresh, old = units_in_stock(session, world, 2)
        age(session, old, hours=36 * 24)
        assert stock.expire_units(session) == 1
        assert stock.expire_units(session) == 0
    assert old.state == UnitState.EXPIRED and fresh.state == UnitState.AVAILABLE


def test_near_expiry_list(app, session, world):
    with app.app_context():
        soon, _later = units_in_stock(session, world, 2)
        age(session, soon, hours=33 * 24)
        listed = stock.near_expiry(session=session, actor=as_user(session, world, "bc.clerk"))
    assert [u.id for u in listed] == [soon.id]


def test_near_expiry_comes_a_page_at_a_time(app, session, world):
    with app.app_context():
        first, second, _later = units_in_stock(session, world, 3)
        age(session, first, hours=34 * 24)
        age(session, second, hours=33 * 24)
        clerk = as_user(session, world, "bc.clerk")
        one = stock.near_expiry_page(session=session, actor=clerk, page=PageRequest(1, 1))
        two = stock.near_expiry_page(session=session, actor=clerk, page=PageRequest(2, 1))
    assert (one.total, one.pages) == (2, 2)
    assert [u.id for u in one.items + two.items] == [first.id, second.id]  # first to expire


def test_the_stock_page_lists_units_about_to_expire_a_page_at_a_time(client, app, session, world):
    with app.app_context():
        [soon] = units_in_stock(session, world, 1)
        age(session, soon, hours=33 * 24)
        session.commit()
    login(client, "bc.clerk")
    html = client.get("/stock/").get_data(as_text=True)
    assert "Expiring within 3 days" in html and soon.label in html
    assert 'class="pager"' not in html  # one page: no pager
    assert "Expiring within 3 days" not in client.get("/stock/?page=2").get_data(as_text=True)
