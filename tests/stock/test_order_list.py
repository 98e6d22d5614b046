"""The order list: the centre sees the hospital, lines, urgency and needed-by time; filters,
sort and pages keep each other in the links; another hospital's orders never appear; the
hospital's form adds lines, takes a needed-by time and pre-fills no group."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from blood.stock import service as stock
from blood.stock.models import Order, OrderLine
from tests.conftest import login
from tests.helpers import as_user
from tests.plasma.forms import post
from tests.stock.helpers import order

ROW = re.compile(r'<tr data-order="(\d+)"')


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _orders(app, session, world):
    with app.app_context():
        routine = order(session, world, urgency="routine")
        emergency = order(session, world, quantity=3, abo="A", rhd="-", urgency="emergency")
        needed = datetime.now(UTC) + timedelta(hours=6)
        urgent = stock.create_order(
            session=session,
            actor=as_user(session, world, "hwz.officer"),
            centre_code="BC",
            urgency="urgent",
            lines=[stock.OrderLineInput("platelets", "B", "+", 1)],
            needed_by=needed,
        )
        session.commit()
    return routine, emergency, urgent


def test_centre_list_shows_hospital_lines_urgency_and_needed_by(app, client, session, world):
    _routine, _emergency, urgent = _orders(app, session, world)
    login(client, "bc.clerk")
    html = client.get("/stock/orders?sort=needed").get_data(as_text=True)
    # Orders with a needed-by time come first; the others after.
    assert _rows(html)[0] == urgent.id
    assert "H-HZ organisation" in html and "H-WZ organisation" in html
    assert "3 × Red cells A-" in html and "1 × Platelets B+" in html
    assert ">Emergency<" in html and ">Urgent<" in html
    row = html[html.index(f'data-order="{urgent.id}"') :].split("</tr>")[0]
    assert "—" not in row  # its needed-by time is shown


def test_filter_sort_and_paging_keep_each_other(app, client, session, world):
    routine, emergency, urgent = _orders(app, session, world)
    login(client, "bc.clerk")
    html = client.get("/stock/orders?organisation=H-HZ&sort=urgency").get_data(as_text=True)
    assert _rows(html) == [emergency.id, routine.id]
    assert re.search(r'href="/stock/orders\?organisation=H-HZ&amp;sort=-urgency"', html)
    assert 'name="sort" value="urgency"' in html
    just_emergency = client.get("/stock/orders?urgency=emergency").get_data(as_text=True)
    assert _rows(just_emergency) == [emergency.id]
    with app.app_context():
        actor = as_user(session, world, "bc.clerk")
        query = stock.OrderListQuery(sort="-created")
        first = stock.order_list(session=session, actor=actor, query=query, size=2)
        second = stock.order_list(
            session=session,
            actor=actor,
            query=stock.OrderListQuery(sort="-created", page=2),
            size=2,
        )
    assert first.total == 3 and first.pages == 2
    assert [r.order.id for r in first.items + second.items] == [urgent.id, emergency.id, routine.id]


def test_another_hospitals_orders_never_appear(app, client, session, world):
    routine, _emergency, urgent = _orders(app, session, world)
    login(client, "hwz.officer")
    html = client.get("/stock/orders").get_data(as_text=True)
    assert _rows(html) == [urgent.id]
    assert _rows(client.get(f"/stock/orders?q={routine.number}").get_data(as_text=True)) == []
    assert routine.number not in html


def test_order_form_adds_lines_takes_needed_by_and_prefills_no_group(app, client, session, world):
    login(client, "hhz.officer")
    page = client.get("/stock/orders").get_data(as_text=True)
    group_select = page[page.index('name="group.0"') :].split("</select>")[0]
    assert "selected" not in group_select
    assert 'id="add-line"' in page and 'name="needed_by"' in page
    when = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {
        "centre": "BC",
        "urgency": "urgent",
        "needed_by": when,
        "component.0": "red_cells",
        "group.0": "O+",
        "quantity.0": "2",
        "component.5": "plasma",  # a line added on the page (rows removed in between)
        "group.5": "AB-",
        "quantity.5": "1",
    }
    done = post(client, "/stock/orders", form)
    assert done.status_code == 302
    placed = session.exec(select(Order)).one()
    assert placed.needed_by is not None
    lines = session.exec(select(OrderLine).where(OrderLine.order_id == placed.id)).all()
    assert sorted((ln.component, ln.abo, ln.rhd, ln.quantity) for ln in lines) == [
        ("plasma", "AB", "-", 1),
        ("red_cells", "O", "+", 2),
    ]


def test_a_line_without_a_group_is_refused(app, client, session, world):
    login(client, "hhz.officer")
    form = {"centre": "BC", "urgency": "routine", "component.0": "red_cells", "quantity.0": "2"}
    refused = post(client, "/stock/orders", form)
    assert refused.status_code == 422
    assert session.exec(select(Order)).all() == []


def test_needed_by_through_the_api(client, session, world, his):
    when = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    response = client.post(
        "/api/v1/orders",
        headers=his,
        json={
            "centre": "BC",
            "needed_by": when.isoformat(),
            "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 1}],
        },
    )
    assert response.status_code == 201, response.json
    assert datetime.fromisoformat(response.json["needed_by"]) == when
    past = client.post(
        "/api/v1/orders",
        headers=his,
        json={
            "centre": "BC",
            "needed_by": (when - timedelta(days=2)).isoformat(),
            "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 1}],
        },
    )
    assert past.status_code == 422


def test_bad_parameters_are_named_beside_the_field(app, client, session, world):
    _orders(app, session, world)
    login(client, "bc.clerk")
    bad = client.get("/stock/orders?urgency=soon&from=2026-13-01&sort=hospital")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-urgency-error"' in html and 'id="f-from-error"' in html
    assert len(_rows(html)) == 3


def test_lists_in_chinese_show_words_not_codes(app, client, session, world):
    from tests.stock.test_pages import assert_no_raw_codes

    _orders(app, session, world)
    with app.app_context():
        user = world.users["bc.clerk"]
        user.locale = "zh_CN"
        session.add(user)
        session.commit()
    login(client, "bc.clerk", lang="zh_CN")
    for url in ("/stock/orders", "/stock/dispatches", "/stock/units"):
        html = client.get(url).get_data(as_text=True)
        assert_no_raw_codes(html)
        assert "搜索" in html and "Search" not in html
    assert "需用时间" in client.get("/stock/orders").get_data(as_text=True)
