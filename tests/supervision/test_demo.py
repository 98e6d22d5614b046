"""After `make run` an inspector finds months of indicators and live alerts, and within a
minute a push happens: the demo's province sends its daily summary to the demo's upper level
through this instance's own inbound endpoint."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from blood.accounts.models import Organisation
from blood.supervision.models import (
    PENDING,
    Alert,
    Delivery,
    InboundSource,
    IndicatorFact,
    PushTarget,
    Summary,
)
from tests.conftest import DEMO_TEST_PUSH_URL as URL


@pytest.fixture(scope="session")
def base_app(demo_app):
    """These tests read the demo, loaded once per database with ``--push-url URL``
    (tests/conftest.py)."""
    return demo_app


def _org(session, code):
    return session.exec(select(Organisation).where(Organisation.code == code)).one()


def test_the_demo_has_months_of_indicators_a_red_o_negative_alert_and_a_push_waiting(
    session,
):
    days = session.exec(select(sa.func.count(sa.distinct(IndicatorFact.day)))).one()
    assert days >= 150
    red = session.exec(
        select(Alert).where(Alert.subject == "red_cells|O-", Alert.severity == "red")
    ).all()
    assert red, "no red O− alert in the demo"
    [target] = session.exec(select(PushTarget)).all()
    assert target.url == URL and target.authority_id == _org(session, "ZJ-HC").id
    [source] = session.exec(select(InboundSource)).all()
    assert source.organisation_id == _org(session, "CN-ZJ").id
    assert source.name == target.username
    [delivery] = session.exec(select(Delivery).where(Delivery.target_id == target.id)).all()
    summary = session.get(Summary, delivery.summary_id)
    assert delivery.state == PENDING and summary.kind == "daily"
    assert summary.authority_id == _org(session, "ZJ-HC").id


def test_the_demos_upper_level_is_a_tree_of_its_own(session):
    upper, province = _org(session, "CN-NHC"), _org(session, "ZJ-HC")
    assert not province.path.startswith(upper.path)
    assert _org(session, "CN-ZJ").path.startswith(upper.path)
