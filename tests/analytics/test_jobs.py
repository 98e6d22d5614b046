"""The nightly forecast reaches the scheduler through ``blood.scheduled_jobs`` (supervision
and analytics do not import each other): due once a local day, from 01:30."""

from __future__ import annotations

from datetime import UTC, datetime

from blood.analytics.jobs import nightly_forecast
from blood.analytics.models import ForecastSeries
from blood.scheduled_jobs import DAILY_JOBS
from blood.supervision.scheduler.config import SchedulerConfig
from blood.supervision.scheduler.jobs import daily_jobs_due
from tests.analytics.test_forecast_service import _issues


def test_the_app_registers_the_nightly_forecast(app):
    assert DAILY_JOBS["forecast"].work() is nightly_forecast


def test_the_forecast_is_due_from_half_past_one_beijing_time_keyed_by_the_day(app, session):
    config = SchedulerConfig()
    before = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # 01:00 on the 5th in Shanghai
    after = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)  # 02:00
    assert [d.job for d in daily_jobs_due(session, before, config)] == []
    [due] = daily_jobs_due(session, after, config)
    assert (due.job, due.period_key) == ("forecast", "2026-12-05")


def test_the_job_forecasts_what_the_command_would(app, session, world):
    with app.app_context():
        _issues(session, world.org("BC"), 30, weekday=4, weekend=1)
        made = nightly_forecast(session, datetime.now(UTC))
        assert made >= 1
        assert len(session.exec(ForecastSeries.__table__.select()).all()) == made
