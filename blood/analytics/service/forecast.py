"""Nightly demand forecasts and projected shortages per blood centre, component and group;
the reads of the forecast pages.

``run_forecasts`` is the scheduler's (and ``blood forecast``'s) work — never a request's: it
reads each centre's daily issues (``blood_daily_usage``), fits and backtests each series
(``forecasting``), projects the stock it holds and has in testing against the forecast, and
stores the series with its days. A group projected amber or red within the horizon is
published (``events.SHORTAGE_PROJECTED``) for supervision to alert on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import events, settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor, visible_org_ids
from blood.analytics import forecasting
from blood.analytics.holidays import holiday_days
from blood.analytics.models import ForecastDay, ForecastSeries
from blood.db import utcnow
from blood.donors.service import local_today
from blood.errors import Forbidden, NotFound
from blood.stock.bands import thresholds_for
from blood.stock.lifecycle import UnitState
from blood.stock.models import COMPONENTS, GROUPS, DailyUsage, Unit

HORIZON_DAYS = 28
HISTORY_DAYS = 730
BACKTEST_HORIZON = 14
KEEP_RUNS_DAYS = 30  # older forecasts are pruned by the nightly run
HELD = (UnitState.AVAILABLE, UnitState.RESERVED)
# Units in testing count from this many days on (the laboratory's usual turnaround; a unit
# that fails its tests is discarded, so this is the optimistic side of the projection).
TESTING_DAYS = 2


def _centres(session: Session) -> list[Organisation]:
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == OrgKind.BLOOD_CENTRE)
            .order_by(Organisation.code)
        ).all()
    )


def _usage(session: Session, centre: Organisation, start: date, end: date) -> dict:
    """``{(component, abo, rhd): {day: units}}`` of the centre's issues in [start, end)."""
    found: dict[tuple[str, str, str], dict[date, int]] = defaultdict(dict)
    for row in session.exec(
        select(DailyUsage).where(
            DailyUsage.organisation_id == centre.id,
            DailyUsage.day >= start,
            DailyUsage.day < end,
        )
    ):
        found[(row.component, row.abo, row.rhd)][row.day] = row.units
    return found


def _stock(session: Session, centre: Organisation, now: datetime) -> tuple[dict, dict]:
    """The expiry days of the units the centre holds and of those still in testing, by
    (component, abo, rhd)."""
    held: dict[tuple, list[date]] = defaultdict(list)
    testing: dict[tuple, list[date]] = defaultdict(list)
    zone_day = now.date()
    rows = session.exec(
        select(Unit.component, Unit.abo, Unit.rhd, Unit.expires_at, Unit.state).where(
            Unit.owner_id == centre.id,
            Unit.state.in_([*HELD, UnitState.PENDING_TESTS]),
            Unit.expires_at > now,
            Unit.abo.is_not(None),
        )
    )
    for component, abo, rhd, expires_at, state in rows:
        target = testing if state == UnitState.PENDING_TESTS else held
        target[(component, abo, rhd)].append(max(expires_at.date(), zone_day))
    return held, testing


@dataclass(frozen=True)
class RunResult:
    centres: int
    series: int
    models: int  # series where the model beat the baseline and is used


def run_forecasts(
    *, session: Session, actor: Actor, now: datetime | None = None, horizon: int = HORIZON_DAYS
) -> RunResult:
    """Forecast every blood centre's series for the next ``horizon`` days (the system's work:
    the scheduler's nightly job or the command)."""
    if not actor.is_system:
        raise Forbidden()
    now = now or utcnow()
    holidays = holiday_days()
    config = settings.of(session)
    made = models = 0
    centres = _centres(session)
    for centre in centres:
        today = local_today(centre, now)
        start = today - timedelta(days=HISTORY_DAYS)
        usage = _usage(session, centre, start, today)
        held, testing = _stock(session, centre, now)
        first_used = min((min(days) for days in usage.values() if days), default=today)
        history_start = max(start, first_used)
        length = (today - history_start).days
        shortages = []
        for component in COMPONENTS:
            for abo, rhd in GROUPS:
                key = (component, abo, rhd)
                if not usage.get(key) and not held.get(key) and not testing.get(key):
                    continue
                days = usage.get(key, {})
                history = [
                    float(days.get(history_start + timedelta(days=i), 0)) for i in range(length)
                ]
                series = _one_series(
                    session,
                    centre=centre,
                    key=key,
                    history=history,
                    today=today,
                    horizon=horizon,
                    holidays=holidays,
                    held=held.get(key, []),
                    testing=testing.get(key, []),
                    testing_days=TESTING_DAYS,
                    limits=thresholds_for(component, f"{abo}{rhd}", config.stock_alert_thresholds),
                    now=now,
                )
                made += 1
                models += series.method == forecasting.ETS
                if series.first_amber or series.first_red:
                    shortages.append(series)
        events.publish(session, events.SHORTAGE_PROJECTED, centre=centre, series=shortages, now=now)
    _prune(session, now)
    return RunResult(len(centres), made, models)


def _one_series(
    session: Session,
    *,
    centre: Organisation,
    key: tuple[str, str, str],
    history: list[float],
    today: date,
    horizon: int,
    holidays: dict,
    held: list[date],
    testing: list[date],
    testing_days: int,
    limits: dict,
    now: datetime,
) -> ForecastSeries:
    component, abo, rhd = key
    accuracy = forecasting.backtest(
        history, today - timedelta(days=len(history)), holidays, horizon=BACKTEST_HORIZON
    )
    made = forecasting.forecast(history, today, horizon, holidays, method=forecasting.ETS)
    if made.method == forecasting.ETS and not accuracy.model_beats_baseline:
        made = forecasting.forecast(
            history, today, horizon, holidays, method=forecasting.SEASONAL_NAIVE
        )
        note = "baseline_better"
    else:
        note = made.note
    curve = forecasting.project_stock(
        first_day=today,
        held=held,
        testing=testing,
        testing_days=testing_days,
        demand=made.mean,
        limits=limits,
    )
    series = ForecastSeries(
        centre_id=centre.id,
        made_at=now,
        component=component,
        abo=abo,
        rhd=rhd,
        method=made.method,
        note=note,
        first_day=today,
        history_days=len(history),
        holiday_factor=round(made.holiday_factor, 3),
        origins=accuracy.origins,
        mase_model=accuracy.mase_model,
        mase_baseline=accuracy.mase_baseline,
        mape_model=accuracy.mape_model,
        mape_baseline=accuracy.mape_baseline,
        on_hand=len(held),
        in_testing=len(testing),
        first_amber=next((p.day for p in curve if p.phase in ("amber", "red")), None),
        first_red=next((p.day for p in curve if p.phase == "red"), None),
    )
    session.add(series)
    session.flush()
    session.add_all(
        ForecastDay(
            series_id=series.id,
            day=point.day,
            mean=round(m, 2),
            lower=round(lo, 2),
            upper=round(hi, 2),
            projected_units=point.units,
            days_of_supply=point.days_of_supply,
            phase=point.phase,
        )
        for point, m, lo, hi in zip(curve, made.mean, made.lower, made.upper, strict=True)
    )
    return series


def _prune(session: Session, now: datetime) -> None:
    old = select(ForecastSeries.id).where(
        ForecastSeries.made_at < now - timedelta(days=KEEP_RUNS_DAYS)
    )
    session.execute(sa.delete(ForecastDay).where(ForecastDay.series_id.in_(old)))
    session.execute(
        sa.delete(ForecastSeries).where(
            ForecastSeries.made_at < now - timedelta(days=KEEP_RUNS_DAYS)
        )
    )


# --- the pages' reads --------------------------------------------------------------------


def may_read_forecasts(actor: Actor | None) -> bool:
    """Blood-centre staff (their own centre) and authorities (the centres of their tree)."""
    return actor is not None and actor.organisation_kind in (
        OrgKind.BLOOD_CENTRE,
        OrgKind.AUTHORITY,
    )


@dataclass(frozen=True)
class CentreForecast:
    centre: Organisation
    series: list[ForecastSeries]
    days: dict[int, list[ForecastDay]]  # by series id
    centres: list[Organisation] = field(default_factory=list)  # those the reader may choose
    actual: dict[int, list[tuple[date, int]]] = field(default_factory=dict)  # recent issues

    def chosen(self, wanted: str | None) -> ForecastSeries | None:
        """The series a page draws: the one asked for (``red_cells-O-``), else the first
        projected red, else amber, else the first."""
        by_key = {series_key(s): s for s in self.series}
        if wanted and wanted in by_key:
            return by_key[wanted]
        for test in (lambda s: s.first_red, lambda s: s.first_amber, lambda s: True):
            found = next((s for s in self.series if test(s)), None)
            if found is not None:
                return found
        return None

    @property
    def made_at(self) -> datetime | None:
        return max((s.made_at for s in self.series), default=None)

    def totals(self, series: ForecastSeries) -> list[forecasting.HorizonTotal]:
        """The series' forecast summed over the next 7, 14 and 28 days."""
        days = self.days.get(series.id, [])
        return forecasting.horizon_totals(
            [d.mean for d in days], [d.lower for d in days], [d.upper for d in days]
        )


def series_key(series: ForecastSeries) -> str:
    return f"{series.component}-{series.abo}{series.rhd}"


RECENT_DAYS = 28  # the past days a forecast chart shows beside the days ahead
TOTAL_WINDOWS = forecasting.TOTAL_WINDOWS  # the sums the pages show: 7, 14 and 28 days


def readable_centres(*, session: Session, actor: Actor) -> list[Organisation]:
    """The blood centres whose forecasts the actor reads."""
    if not may_read_forecasts(actor):
        raise Forbidden()
    return list(
        session.exec(
            select(Organisation)
            .where(
                Organisation.kind == OrgKind.BLOOD_CENTRE,
                Organisation.id.in_(visible_org_ids(actor)),
            )
            .order_by(Organisation.code)
        ).all()
    )


def centre_forecast(
    *, session: Session, actor: Actor, centre_code: str | None = None
) -> CentreForecast | None:
    """The latest forecast of one centre the actor reads (its own by default; an authority's
    first centre); a centre outside its scope answers "not found"."""
    centres = readable_centres(session=session, actor=actor)
    if centre_code:
        centre = next((c for c in centres if c.code == centre_code.upper()), None)
        if centre is None:
            raise NotFound()
    elif centres:
        centre = centres[0]
    else:
        return None
    latest = session.exec(
        select(sa.func.max(ForecastSeries.made_at)).where(ForecastSeries.centre_id == centre.id)
    ).one()
    if latest is None:
        return CentreForecast(centre, [], {}, centres)
    series = list(
        session.exec(
            select(ForecastSeries)
            .where(ForecastSeries.centre_id == centre.id, ForecastSeries.made_at == latest)
            .order_by(ForecastSeries.component, ForecastSeries.abo, ForecastSeries.rhd)
        ).all()
    )
    days: dict[int, list[ForecastDay]] = defaultdict(list)
    for day in session.exec(
        select(ForecastDay)
        .where(ForecastDay.series_id.in_([s.id for s in series]))
        .order_by(ForecastDay.series_id, ForecastDay.day)
    ):
        days[day.series_id].append(day)
    first_day = min((s.first_day for s in series), default=None)
    actual: dict[int, list[tuple[date, int]]] = {}
    if first_day is not None:
        start = first_day - timedelta(days=RECENT_DAYS)
        usage = _usage(session, centre, start, first_day)
        for s in series:
            used = usage.get((s.component, s.abo, s.rhd), {})
            actual[s.id] = [
                (start + timedelta(days=i), used.get(start + timedelta(days=i), 0))
                for i in range(RECENT_DAYS)
            ]
    return CentreForecast(centre, series, dict(days), centres, actual)
