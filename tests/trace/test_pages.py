"""The trace pages: a DIN's trace, the case page and its CSV (UTF-8 with a BOM) for the
quality role and the authority, the notices page with acknowledgement; out of scope: 404."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.trace.models import LookbackCase, Notice
from tests.conftest import csrf_token_of, login
from tests.trace.helpers import full_chain, reactive


@pytest.fixture
def case(app, session, world):
    with app.app_context():
        chain = full_chain(session, world)
        reactive(session, world, chain)
        session.commit()
        return chain, session.exec(select(LookbackCase)).one()


def test_trace_page_shows_the_units_and_timeline(client, case):
    chain, _case = case
    login(client, "p.inspector")
    page = client.get(f"/trace/?din={chain.donation.din}").get_data(as_text=True)
    assert chain.donation.din in page and "E0004" in page and "李雷" not in page


def test_case_page_and_csv_for_the_authority(client, case):
    _chain, made = case
    login(client, "p.inspector")
    page = client.get(f"/trace/lookback/{made.id}")
    assert page.status_code == 200 and made.number in page.get_data(as_text=True)
    export = client.get(f"/trace/lookback/{made.id}/export.csv")
    assert export.data.startswith("\ufeff".encode())
    assert made.number in export.data.decode("utf-8")


def test_case_page_is_not_found_for_a_hospital(client, case):
    _chain, made = case
    login(client, "hhz.officer")
    assert client.get(f"/trace/lookback/{made.id}").status_code == 404


def test_hospital_acknowledges_its_notice_on_its_page(app, client, session, world, case):
    login(client, "hwz.officer")
    page = client.get("/trace/notifications").get_data(as_text=True)
    with app.app_context():
        notice = session.exec(
            select(Notice).where(Notice.receiver_id == world.org("H-WZ").id)
        ).one()
    assert notice.din in page
    answer = client.post(
        f"/trace/notifications/{notice.id}/acknowledge",
        data={"csrf_token": csrf_token_of(page)},
    )
    assert answer.status_code == 303
    session.expire_all()
    with app.app_context():
        assert session.get(Notice, notice.id).acknowledged_at is not None
