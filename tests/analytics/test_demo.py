"""After ``blood demo`` the analytics pages show something: the night's forecast of the
blood centre, and a lapsed donor on PS-CHUNAN's recall list (the other already called)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import User
from blood.accounts.service import actor_for_user
from blood.analytics.models import DonorContact, ForecastSeries
from blood.analytics.service import recruitment


@pytest.fixture(scope="session")
def base_app(demo_app):
    """These tests read the demo, loaded once per database (tests/conftest.py)."""
    return demo_app


@pytest.fixture
def demo(demo_output):
    return demo_output


def test_the_demo_has_a_forecast_and_a_recall_list_and_the_command_runs(app, runner, session, demo):
    series = session.exec(select(ForecastSeries)).all()
    assert series and {s.component for s in series} >= {"red_cells"}
    assert all(s.first_day is not None for s in series)
    [called] = session.exec(select(DonorContact)).all()
    assert called.outcome == "booked"
    with app.test_request_context():
        user = session.exec(select(User).where(User.username == "chunan.registrar")).one()
        rows = recruitment.lapsed_donors(session=session, actor=actor_for_user(session, user))
    assert [r.donor.id for r in rows] and called.donor_id not in [r.donor.id for r in rows]
    # The command makes the next forecast over the same demo (one demo load for both: a
    # demo takes seconds, and CI's time is counted).
    result = runner.invoke(args=["blood", "forecast", "--horizon", "14"])
    assert result.exit_code == 0, result.output
    assert "series forecast for" in result.output
