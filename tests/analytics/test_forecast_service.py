"""The nightly forecast over a blood centre's history: stored series, the projection, the
alert it raises and clears, and who reads it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.analytics.models import ForecastDay, ForecastSeries
from blood.analytics.service import forecast as service
from blood.db import utcnow
from blood.donors.service import local_today
from blood.errors import Forbidden, NotFound
from blood.stock.models import DailyUsage
from blood.supervision.models import Alert
from tests.helpers import as_user
from tests.stock.helpers import units_in_stock

SYSTEM = Actor.system("tests")


def _issues(session, centre, days: int, *, weekday: int, weekend: int) -> None:
    today = local_today(centre)
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        session.add(
            DailyUsage(
                organisation_id=centre.id,
                day=day,
                component="red_cells",
                abo="O",
                rhd="+",
                # the week's shape, and a little variation from week to week
                units=(weekday if day.weekday() < 5 else weekend) + (back // 7) % 3,
            )
        )
    session.flush()


def test_a_centre_short_of_o_positive_gets_its_forecast_and_an_alert(app, session, world):
    with app.app_context():
        centre = world.org("BC")
        units_in_stock(session, world, n=3)  # 3 O+ red-cell units, released
        _issues(session, centre, 120, weekday=6, weekend=2)
        result = service.run_forecasts(session=session, actor=SYSTEM)
        assert result.centres >= 1 and result.series >= 1
        series = session.exec(
            select(ForecastSeries).where(
                ForecastSeries.centre_id == centre.id,
                ForecastSeries.component == "red_cells",
                ForecastSeries.abo == "O",
                ForecastSeries.rhd == "+",
            )
        ).one()
        assert series.on_hand == 3 and series.history_days == 120
        assert series.origins > 0 and series.mase_baseline is not None
        assert series.first_red is not None and series.first_red <= local_today(centre) + (
            timedelta(days=2)
        )
        days = session.exec(select(ForecastDay).where(ForecastDay.series_id == series.id)).all()
        assert len(days) == service.HORIZON_DAYS
        alert = session.exec(
            select(Alert).where(
                Alert.rule == "projected_shortage", Alert.organisation_id == centre.id
            )
        ).one()
        assert alert.severity == "red" and alert.facts["group"] == "O+"


def test_the_alert_clears_when_the_next_forecast_no_longer_projects_a_shortage(app, session, world):
    with app.app_context():
        centre = world.org("BC")
        units_in_stock(session, world, n=3)
        _issues(session, centre, 60, weekday=6, weekend=2)
        service.run_forecasts(session=session, actor=SYSTEM)
        session.exec(select(DailyUsage)).all()
        for row in session.exec(select(DailyUsage).where(DailyUsage.organisation_id == centre.id)):
            row.units = 0
            session.add(row)
        session.flush()
        service.run_forecasts(session=session, actor=SYSTEM, now=utcnow() + timedelta(minutes=1))
        alert = session.exec(select(Alert).where(Alert.rule == "projected_shortage")).one()
        assert alert.status == "closed" and alert.open_key is None


def test_only_the_system_runs_the_forecast(app, session, world):
    with app.app_context(), pytest.raises(Forbidden):
        service.run_forecasts(session=session, actor=as_user(session, world, "bc.clerk"))


def test_who_reads_a_centres_forecast(app, session, world):
    with app.app_context():
        _issues(session, world.org("BC"), 30, weekday=4, weekend=1)
        service.run_forecasts(session=session, actor=SYSTEM)
        own = service.centre_forecast(session=session, actor=as_user(session, world, "bc.clerk"))
        assert own.centre.code == "BC" and own.series
        province = service.centre_forecast(
            session=session, actor=as_user(session, world, "p.inspector"), centre_code="BC"
        )
        assert province.series
        with pytest.raises(NotFound):  # another city's inspector: BC is not in its tree
            service.centre_forecast(
                session=session, actor=as_user(session, world, "wz.inspector"), centre_code="BC"
            )
        with pytest.raises(Forbidden):
            service.centre_forecast(session=session, actor=as_user(session, world, "hhz.officer"))
