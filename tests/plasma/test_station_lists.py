"""The station's visit and plasma-unit lists: search, filters, sort and pages keep each other
in the links; another station's visits and units never appear; bad parameters are 422."""

from __future__ import annotations

import re

from blood.plasma import service as plasma
from tests.conftest import login
from tests.helpers import as_user, past_collection, register

VISIT = re.compile(r'<tr data-visit="(\d+)">')
UNIT = re.compile(r'<tr data-unit="(\d+)">')


def _history(app, session, world):
    """Two donors at S-CA with 2 and 1 past donations; one donor at S-WZ with one."""
    with app.app_context():
        sca, swz = world.org("S-CA"), world.org("S-WZ")
        wang = register(session, world, serial=201, name="王芳", abo="A", rhd="+")
        li = register(session, world, serial=202, name="李强", abo="O", rhd="+")
        other = register(
            session, world, serial=203, region="330300", username="swz.registrar", name="王其他"
        )
        units = [
            past_collection(session, wang, sca, 40),
            past_collection(session, wang, sca, 20),
            past_collection(session, li, sca, 30),
        ]
        theirs = past_collection(session, other, swz, 10)
        session.commit()
    return wang, li, units, theirs


def test_visits_search_sort_and_paging_keep_each_other(app, client, session, world):
    _wang, _li, units, _theirs = _history(app, session, world)
    login(client, "sca.registrar")
    html = client.get("/station/visits?q=王&sort=date").get_data(as_text=True)
    visits = [int(i) for i in VISIT.findall(html)]
    assert visits == [units[0].visit_id, units[1].visit_id]  # oldest first; not S-WZ's 王
    assert re.search(r'href="/station/visits\?q=%E7%8E%8B&amp;sort=-date"', html)
    assert 'name="sort" value="date"' in html
    with app.app_context():
        actor = as_user(session, world, "sca.registrar")
        query = plasma.StationListQuery(sort="-date")
        first = plasma.visit_list(session=session, actor=actor, query=query, size=2)
        second = plasma.visit_list(
            session=session,
            actor=actor,
            query=plasma.StationListQuery(sort="-date", page=2),
            size=2,
        )
    assert first.total == 3 and first.pages == 2
    ids = [r.visit.id for r in first.items + second.items]
    assert ids == [units[1].visit_id, units[2].visit_id, units[0].visit_id]


def test_units_filter_and_sort_keep_each_other(app, client, session, world):
    _wang, _li, units, _theirs = _history(app, session, world)
    login(client, "sca.quality")
    html = client.get("/station/units?group=A%2B&sort=-collected").get_data(as_text=True)
    assert [int(i) for i in UNIT.findall(html)] == [units[1].id, units[0].id]
    assert re.search(r'href="/station/units\?group=A%2B&amp;sort=din"', html)
    by_din = client.get(f"/station/units?q={units[2].din}").get_data(as_text=True)
    assert [int(i) for i in UNIT.findall(by_din)] == [units[2].id]


def test_another_stations_visits_and_units_never_appear(app, client, session, world):
    _wang, _li, units, theirs = _history(app, session, world)
    login(client, "sca.registrar")
    visits = client.get("/station/visits").get_data(as_text=True)
    assert theirs.visit_id not in [int(i) for i in VISIT.findall(visits)]
    listed = client.get(f"/station/units?q={theirs.din}").get_data(as_text=True)
    assert UNIT.findall(listed) == []
    everything = client.get("/station/units").get_data(as_text=True)
    assert sorted(int(i) for i in UNIT.findall(everything)) == sorted(u.id for u in units)


def test_bad_parameters_are_named_beside_the_field(app, client, session, world):
    _history(app, session, world)
    login(client, "sca.registrar")
    bad = client.get("/station/units?state=lost&group=Z&sort=price")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-state-error"' in html and 'id="f-group-error"' in html
    assert len(UNIT.findall(html)) == 3
    worse = client.get("/station/visits?from=2026-02-30&page=0")
    assert worse.status_code == 422
    assert 'id="f-from-error"' in worse.get_data(as_text=True)
