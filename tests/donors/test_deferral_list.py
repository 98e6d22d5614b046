"""The deferral list: state, reason and sort keep each other in the links; pages; another
station's deferrals never appear; bad parameters are named beside the field (422)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from blood.donors.service import DeferralListQuery, list_deferrals, record_deferral
from tests.conftest import login
from tests.helpers import as_user, register

ROW = re.compile(r'<tr data-deferral="(\d+)">')


def _rows(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _deferrals(app, session, world):
    with app.app_context():
        physician = as_user(session, world, "sca.physician")
        wang = register(session, world, serial=101, name="王芳")
        li = register(session, world, serial=102, name="李强")
        other = register(session, world, serial=103, region="330300", username="swz.registrar")
        soon = date.today() + timedelta(days=30)
        medication = record_deferral(
            session=session, actor=physician, donor_id=wang.id, permanent=False,
            reason_code="medication", ends_on=soon,
        )  # fmt: skip
        permanent = record_deferral(
            session=session, actor=physician, donor_id=li.id, permanent=True,
            reason_code="high_risk_behaviour",
        )  # fmt: skip
        theirs = record_deferral(
            session=session, actor=as_user(session, world, "swz.physician"), donor_id=other.id,
            permanent=False, reason_code="medication", ends_on=soon,
        )  # fmt: skip
        session.commit()
    return medication, permanent, theirs


def test_filter_sort_and_paging_keep_each_other(app, client, session, world):
    medication, permanent, _theirs = _deferrals(app, session, world)
    login(client, "sca.physician")
    html = client.get("/station/deferrals?state=active&sort=card").get_data(as_text=True)
    assert _rows(html) == [medication.id, permanent.id]
    assert re.search(r'href="/station/deferrals\?state=active&amp;sort=-card"', html)
    assert 'name="sort" value="card"' in html
    only = client.get("/station/deferrals?state=permanent").get_data(as_text=True)
    assert _rows(only) == [permanent.id]
    reason = client.get("/station/deferrals?reason=medication").get_data(as_text=True)
    assert _rows(reason) == [medication.id]
    with app.app_context():
        actor = as_user(session, world, "sca.physician")
        first = list_deferrals(
            session=session, actor=actor, query=DeferralListQuery(sort="card"),
            today=date.today(), size=1,
        )  # fmt: skip
        second = list_deferrals(
            session=session, actor=actor, query=DeferralListQuery(sort="card", page=2),
            today=date.today(), size=1,
        )  # fmt: skip
    assert first.total == 2 and first.pages == 2
    assert [r.deferral.id for r in first.items + second.items] == [medication.id, permanent.id]


def test_another_stations_deferrals_never_appear(app, client, session, world):
    _medication, _permanent, theirs = _deferrals(app, session, world)
    login(client, "sca.physician")
    assert theirs.id not in _rows(client.get("/station/deferrals").get_data(as_text=True))


def test_bad_parameters_are_named_beside_the_field(app, client, session, world):
    _deferrals(app, session, world)
    login(client, "sca.physician")
    bad = client.get("/station/deferrals?reason=boredom&from=2026-01-10&to=2026-01-01")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="f-reason-error"' in html and 'id="f-to-error"' in html
    assert len(_rows(html)) == 2
