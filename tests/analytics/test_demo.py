"""After ``blood demo`` the analytics pages show something: the night's forecast of the
blood centre, a lapsed donor on PS-CHUNAN's recall list (the other already called), the
centre's past campaign with its return rate, and O− donors for a red-cell campaign."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.models import Organisation, User
from blood.accounts.service import actor_for_user
from blood.analytics.models import DonorContact, ForecastSeries
from blood.analytics.service import campaigns, recruitment


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
    chunan = session.exec(select(Organisation).where(Organisation.code == "PS-CHUNAN")).one()
    [called] = session.exec(
        select(DonorContact).where(DonorContact.organisation_id == chunan.id)
    ).all()
    assert called.outcome == "booked" and called.campaign_id is None
    with app.test_request_context():
        user = session.exec(select(User).where(User.username == "chunan.registrar")).one()
        rows = recruitment.lapsed_donors(session=session, actor=actor_for_user(session, user))
    assert [r.donor.id for r in rows] and called.donor_id not in [r.donor.id for r in rows]
    with app.test_request_context():
        user = session.exec(select(User).where(User.username == "bc.quality")).one()
        centre = actor_for_user(session, user)
        [past] = campaigns.campaign_results(session=session, actor=centre)
        assert (past.contacted, past.returned) == (4, 2) and past.campaign.closed_at
        short = campaigns.shortages(session=session, actor=centre)
        assert short, "the demo forecast projects no shortage at the centre"
        campaign = campaigns.start_campaign(
            session=session, actor=centre, component="red_cells", abo="O", rhd="-"
        )
        _c, rows = campaigns.campaign_donors(session=session, actor=centre, campaign_id=campaign.id)
    assert len([r for r in rows if (r.donor.abo, r.donor.rhd) == ("O", "-")]) >= 2
    # The command makes the next forecast over the same demo (one demo load for both: a
    # demo takes seconds, and CI's time is counted).
    result = runner.invoke(args=["blood", "forecast", "--horizon", "14"])
    assert result.exit_code == 0, result.output
    assert "series forecast for" in result.output
