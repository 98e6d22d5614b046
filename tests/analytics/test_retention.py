"""Donor retention: the share of first-time donors back within 6 and 12 months, by the month
they first gave; a station reads its own, an authority its tree's counts and never a donor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blood.analytics.service import retention as retentions
from blood.errors import Forbidden
from tests.conftest import login
from tests.helpers import as_user, past_collection, register

FIRST = 400  # days ago: a cohort whose 12 months have passed


def _history(session, world):
    """At S-CA, three donors first gave 400 days ago: one came back within 6 months, one
    within 12, one never; a fourth first gave 30 days ago. At S-WZ one donor, back soon."""
    ca, wz = world.org("S-CA"), world.org("S-WZ")
    donors = [
        register(session, world, serial=401 + n, name=name)
        for n, name in enumerate(("林海", "周雨", "陈静", "吴磊"))
    ]
    soon, later, never, new = donors
    for donor, days in ((soon, FIRST), (soon, FIRST - 100), (later, FIRST), (later, FIRST - 250)):
        past_collection(session, donor, ca, days)
    past_collection(session, never, ca, FIRST)
    past_collection(session, new, ca, 30)
    other = register(
        session, world, serial=411, region="330300", username="swz.registrar", name="郑洁"
    )
    past_collection(session, other, wz, FIRST)
    past_collection(session, other, wz, FIRST - 14)
    return donors


def _cohort(row, days_ago, now):
    month = (now - timedelta(days=days_ago)).astimezone(retentions.ZoneInfo("Asia/Shanghai"))
    return next(c for c in row.cohorts if c.month == month.date().replace(day=1))


def test_a_station_reads_its_own_cohorts(app, session, world):
    now = datetime.now(UTC)
    with app.app_context():
        _history(session, world)
        report = retentions.retention(
            session=session, actor=as_user(session, world, "sca.registrar"), now=now
        )
    assert report.kind == "plasma" and report.total is None
    [row] = report.organisations
    assert row.organisation.code == "S-CA"
    old = _cohort(row, FIRST, now)
    assert (old.donors, old.back[6], old.back[12]) == (3, 1, 2)
    assert old.share(6) == pytest.approx(1 / 3)
    recent = _cohort(row, 30, now)
    assert recent.donors == 1 and recent.back == {6: None, 12: None}  # not yet known
    assert row.overall(12) == pytest.approx(2 / 3)
    assert len(report.months) == retentions.DEFAULT_MONTHS


def test_an_authority_reads_its_trees_counts(app, session, world):
    now = datetime.now(UTC)
    with app.app_context():
        _history(session, world)
        province = retentions.retention(
            session=session, actor=as_user(session, world, "p.inspector"), now=now
        )
        city = retentions.retention(
            session=session, actor=as_user(session, world, "hz.inspector"), now=now
        )
        blood = retentions.retention(
            session=session,
            actor=as_user(session, world, "p.inspector"),
            kind="whole_blood",
            now=now,
        )
    assert [r.organisation.code for r in province.organisations] == ["S-CA", "S-WZ"]
    total = _cohort(province.total, FIRST, now)
    assert (total.donors, total.back[6], total.back[12]) == (4, 2, 3)
    assert province.total.organisation.code == "ZJ"
    assert [r.organisation.code for r in city.organisations] == ["S-CA"]  # HZ's tree only
    assert [r.organisation.code for r in blood.organisations] == ["BC"]
    assert blood.total.donors == 0


def test_who_may_not_read_it(app, session, world):
    with app.app_context():
        for username in ("sca.collector", "hhz.officer", "mf.clerk"):
            with pytest.raises(Forbidden):
                retentions.retention(session=session, actor=as_user(session, world, username))
        # A station reads its own kind whatever it asks for.
        own = retentions.retention(
            session=session, actor=as_user(session, world, "sca.registrar"), kind="whole_blood"
        )
    assert own.kind == "plasma" and own.kinds == ("plasma",)


def test_the_pages(app, client, session, world):
    with app.app_context():
        _history(session, world)
        session.commit()
    login(client, "sca.registrar")
    page = client.get("/analytics/retention").get_data(as_text=True)
    assert "33 % (1)" in page and "67 % (2)" in page and "not yet" in page
    client = app.test_client()
    login(client, "p.inspector")
    page = client.get("/analytics/retention").get_data(as_text=True)
    assert 'data-org="S-CA"' in page and 'data-org="S-WZ"' in page
    assert "林海" not in page  # counts only
    wrong = client.get("/analytics/retention?months=99")
    assert wrong.status_code == 422
    assert "less than or equal to 36" in wrong.get_data(as_text=True)
    csv = client.get("/analytics/retention.csv").get_data(as_text=True)
    assert csv.startswith("\ufeff") and "\nS-WZ," in csv and "林海" not in csv
    client = app.test_client()
    login(client, "hhz.officer")
    assert client.get("/analytics/retention").status_code == 403
