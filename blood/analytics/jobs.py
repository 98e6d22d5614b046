"""The analytics work the scheduler runs: the nightly forecast (registered with
``blood.scheduled_jobs`` by ``create_app``; fitted in the scheduler process, never in a
request)."""

from __future__ import annotations

from datetime import datetime, time

from sqlmodel import Session

from blood.accounts.scoping import Actor
from blood.scheduled_jobs import DailyJob, register_daily

FORECAST_AT = time(1, 30)  # after yesterday's final indicators (00:10), before 06:00 summaries


def nightly_forecast(session: Session, now: datetime) -> int:
    from blood.analytics.service.forecast import run_forecasts

    return run_forecasts(session=session, actor=Actor.system("scheduler"), now=now).series


def register() -> None:
    register_daily(DailyJob("forecast", "blood.analytics.jobs:nightly_forecast", FORECAST_AT))
