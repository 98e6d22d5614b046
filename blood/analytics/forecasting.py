"""Demand forecasts of daily issues: exponential smoothing (statsmodels' ETS, weekly
seasonality) against a seasonal-naive baseline, with an honest rolling-origin backtest.

Pure: no Flask, no database; every fact comes as an argument. statsmodels (and numpy) are
imported when a model is fitted, so that the web process never loads them: fitting happens in
the scheduler's nightly job or the ``blood forecast`` command, never in a request.

Holidays (``holidays.py``) move demand: the history is divided by a holiday factor on holiday
days before fitting (the ratio of the mean on holidays to the mean on other days, estimated
from the same history and bounded), and the forecast is multiplied by it again on the
holidays ahead. With too few holiday days in the history the factor is 1.

Yearly seasonality (summer, the winter months) is handled the same way, for the model only:
with at least ``MIN_YEARLY_DAYS`` of history, each calendar month gets a factor (its mean on
ordinary days over the mean of all ordinary days, bounded); the history is divided by it
before the weekly model is fitted and the forecast multiplied by it again. The
seasonal-naive baseline stays "the same weekday last week", and the backtest judges whether
the model so adjusted beats it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import mean, pstdev

from blood.stock.bands import phase_of

PERIOD = 7  # weekly seasonality
MIN_WEEKS_FOR_MODEL = 8  # shorter histories get the seasonal-naive forecast
MIN_NONZERO_SHARE = 0.3  # sparser series too: a model of mostly zeros forecasts noise
MIN_HOLIDAY_DAYS = 5
HOLIDAY_FACTOR_BOUNDS = (0.3, 1.5)
MIN_YEARLY_DAYS = 365 + 28  # a year and a month: every calendar month seen at least once
YEARLY_FACTOR_BOUNDS = (0.5, 1.5)
Z_95 = 1.96

ETS = "ets"
SEASONAL_NAIVE = "seasonal_naive"


@dataclass(frozen=True)
class Forecast:
    """Daily issues ahead: the mean and a 95 % prediction interval per day, never below 0."""

    method: str
    first_day: date
    mean: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    holiday_factor: float = 1.0
    note: str = ""  # why the baseline was used, when it was

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(len(self.mean))]


@dataclass(frozen=True)
class Accuracy:
    """A rolling-origin backtest: the model and the baseline over the same origins."""

    origins: int
    mase_model: float | None
    mase_baseline: float | None
    mape_model: float | None  # in percent, over the days with issues (undefined on zeros)
    mape_baseline: float | None

    @property
    def model_beats_baseline(self) -> bool:
        return (
            self.mase_model is not None
            and self.mase_baseline is not None
            and self.mase_model < self.mase_baseline
        )


def holiday_factor(
    history: Sequence[float], first_day: date, holidays: Mapping[date, str]
) -> float:
    """How demand on holidays compares with the other days of the same history."""
    on, off = [], []
    for i, value in enumerate(history):
        (on if first_day + timedelta(days=i) in holidays else off).append(value)
    if len(on) < MIN_HOLIDAY_DAYS or not off or mean(off) <= 0:
        return 1.0
    low, high = HOLIDAY_FACTOR_BOUNDS
    return min(max(mean(on) / mean(off), low), high)


def yearly_factors(
    history: Sequence[float], first_day: date, holidays: Mapping[date, str]
) -> dict[int, float]:
    """Each calendar month's demand against the history's mean, on ordinary days (holidays
    have their own factor); empty (no yearly adjustment) for a history under a year and a
    month, or without demand."""
    if len(history) < MIN_YEARLY_DAYS:
        return {}
    by_month: dict[int, list[float]] = {}
    for i, value in enumerate(history):
        day = first_day + timedelta(days=i)
        if day not in holidays:
            by_month.setdefault(day.month, []).append(value)
    overall = mean(v for values in by_month.values() for v in values)
    if overall <= 0 or len(by_month) < 12:
        return {}
    low, high = YEARLY_FACTOR_BOUNDS
    return {m: min(max(mean(values) / overall, low), high) for m, values in by_month.items()}


def seasonal_naive(history: Sequence[float], horizon: int) -> Forecast:
    """Each day as the same weekday of the last week; the interval from the spread of the
    history's week-on-week differences, widening with each week ahead."""
    values = list(history)
    if len(values) < PERIOD:
        values = [0.0] * (PERIOD - len(values)) + values
    last_week = values[-PERIOD:]
    diffs = [values[i] - values[i - PERIOD] for i in range(PERIOD, len(values))]
    spread = pstdev(diffs) if len(diffs) > 1 else 0.0
    means, lowers, uppers = [], [], []
    for h in range(horizon):
        centre = float(last_week[h % PERIOD])
        width = Z_95 * spread * math.sqrt(h // PERIOD + 1)
        means.append(centre)
        lowers.append(max(centre - width, 0.0))
        uppers.append(centre + width)
    return Forecast(SEASONAL_NAIVE, date.min, tuple(means), tuple(lowers), tuple(uppers))


def _ets(history: Sequence[float], horizon: int) -> Forecast:
    import numpy as np
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    series = pd.Series(np.asarray(history, dtype=float))
    fitted = ETSModel(series, error="add", trend=None, seasonal="add", seasonal_periods=PERIOD).fit(
        disp=False
    )
    frame = fitted.get_prediction(start=len(series), end=len(series) + horizon - 1)
    summary = frame.summary_frame(alpha=0.05)
    means = np.clip(summary["mean"].to_numpy(), 0, None)
    lowers = np.clip(summary["pi_lower"].to_numpy(), 0, None)
    uppers = np.clip(summary["pi_upper"].to_numpy(), 0, None)
    if not (np.isfinite(means).all() and np.isfinite(uppers).all()):
        raise ValueError("the model's forecast is not finite")
    return Forecast(
        ETS, date.min, tuple(means.tolist()), tuple(lowers.tolist()), tuple(uppers.tolist())
    )


def sparse(history: Sequence[float]) -> str:
    """Why a model is not fitted to this history ('' when it may be)."""
    if len(history) < MIN_WEEKS_FOR_MODEL * PERIOD:
        return "short_history"
    if sum(1 for v in history if v > 0) < MIN_NONZERO_SHARE * len(history):
        return "sparse_history"
    return ""


def _fit(history: Sequence[float], horizon: int, method: str) -> Forecast:
    if method == ETS:
        return _ets(history, horizon)
    return seasonal_naive(history, horizon)


def _adjusted(
    history: Sequence[float], first_day: date, holidays: Mapping[date, str], factor: float
) -> list[float]:
    return [
        v / factor if first_day + timedelta(days=i) in holidays else float(v)
        for i, v in enumerate(history)
    ]


def _on_holidays(forecast: Forecast, holidays: Mapping[date, str], factor: float) -> Forecast:
    scaled = _scaled(forecast, [factor if day in holidays else 1.0 for day in forecast.days])
    return Forecast(
        scaled.method, scaled.first_day, scaled.mean, scaled.lower, scaled.upper, factor,
        scaled.note,
    )  # fmt: skip


def forecast(
    history: Sequence[float],
    first_day: date,
    horizon: int,
    holidays: Mapping[date, str],
    *,
    method: str = ETS,
) -> Forecast:
    """Daily issues for ``horizon`` days after a history that ends the day before
    ``first_day``. ``method`` ETS falls back to the seasonal-naive baseline, and says why,
    when the history is too short or too sparse or the model fails."""
    start = first_day - timedelta(days=len(history))
    factor = holiday_factor(history, start, holidays)
    adjusted = _adjusted(history, start, holidays, factor)
    note = sparse(history) if method == ETS else ""
    chosen = SEASONAL_NAIVE if note else method
    yearly = yearly_factors(history, start, holidays) if chosen == ETS else {}
    deseasoned = [
        v / yearly[(start + timedelta(days=i)).month] if yearly else v
        for i, v in enumerate(adjusted)
    ]
    try:
        made = _fit(deseasoned, horizon, chosen)
    except (ValueError, ArithmeticError, np_linalg_error()):
        made, note, yearly = seasonal_naive(adjusted, horizon), "model_failed", {}
    dated = Forecast(made.method, first_day, made.mean, made.lower, made.upper, 1.0, note)
    if yearly:
        dated = _scaled(dated, [yearly[day.month] for day in dated.days])
    return _on_holidays(dated, holidays, factor)


def _scaled(forecast: Forecast, scale: Sequence[float]) -> Forecast:
    return Forecast(
        forecast.method,
        forecast.first_day,
        tuple(m * s for m, s in zip(forecast.mean, scale, strict=True)),
        tuple(m * s for m, s in zip(forecast.lower, scale, strict=True)),
        tuple(m * s for m, s in zip(forecast.upper, scale, strict=True)),
        forecast.holiday_factor,
        forecast.note,
    )


def np_linalg_error() -> type[Exception]:
    """numpy's LinAlgError when numpy is there (the model's failures), else a stand-in."""
    try:
        from numpy.linalg import LinAlgError
    except ImportError:  # pragma: no cover - numpy comes with statsmodels
        return ArithmeticError
    return LinAlgError


def _mase_scale(train: Sequence[float]) -> float | None:
    diffs = [abs(train[i] - train[i - PERIOD]) for i in range(PERIOD, len(train))]
    scale = mean(diffs) if diffs else 0.0
    return scale if scale > 0 else None


def backtest(
    history: Sequence[float],
    first_day: date,
    holidays: Mapping[date, str],
    *,
    horizon: int = 14,
    origins: int = 4,
) -> Accuracy:
    """Rolling origin: for each of the last ``origins`` windows of ``horizon`` days, fit on
    what came before, forecast the window, and compare with what happened — the model and
    the seasonal-naive baseline on the same windows. MASE is scaled by the in-sample error of
    the weekly naive forecast (below 1: better than it); MAPE skips days without issues."""
    errors: dict[str, list[float]] = {ETS: [], SEASONAL_NAIVE: []}
    percent: dict[str, list[float]] = {ETS: [], SEASONAL_NAIVE: []}
    done = 0
    for k in range(origins, 0, -1):
        cut = len(history) - k * horizon
        train, actual = history[:cut], history[cut : cut + horizon]
        if sparse(train) or not actual:
            continue
        scale = _mase_scale(train)
        if scale is None:
            continue
        day = first_day + timedelta(days=cut)
        for method in (ETS, SEASONAL_NAIVE):
            made = forecast(train, day, len(actual), holidays, method=method)
            if method == ETS and made.method != ETS:
                break  # the model failed on this origin: not a fair comparison
            errors[method].append(
                mean(abs(a - f) for a, f in zip(actual, made.mean, strict=True)) / scale
            )
            percent[method] += [
                100 * abs(a - f) / a for a, f in zip(actual, made.mean, strict=True) if a > 0
            ]
        else:
            done += 1
            continue
        errors[ETS] = errors[ETS][:done]
        errors[SEASONAL_NAIVE] = errors[SEASONAL_NAIVE][:done]

    def avg(values: list[float]) -> float | None:
        return round(mean(values), 3) if values else None

    return Accuracy(
        done,
        avg([float(e) for e in errors[ETS]]) if done else None,
        avg(errors[SEASONAL_NAIVE]) if done else None,
        avg([float(e) for e in percent[ETS]]) if done else None,
        avg(percent[SEASONAL_NAIVE]) if done else None,
    )


TOTAL_WINDOWS = (7, 14, 28)  # the sums a page shows: the next week, fortnight and four weeks


@dataclass(frozen=True)
class HorizonTotal:
    """The issues forecast over the next ``days`` days. ``lower``/``upper`` add the days' 95 %
    edges: the sum's own 95 % interval lies inside (equal only if the days' errors moved in
    lockstep), so the pages call it "at most" this wide."""

    days: int
    mean: float
    lower: float
    upper: float


def horizon_totals(
    mean: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    windows: Sequence[int] = TOTAL_WINDOWS,
) -> list[HorizonTotal]:
    """The forecast summed over each window that the forecast covers in full."""
    return [
        HorizonTotal(n, sum(mean[:n]), sum(lower[:n]), sum(upper[:n]))
        for n in windows
        if n <= len(mean)
    ]


@dataclass(frozen=True)
class ProjectedDay:
    day: date
    units: int  # held at the end of the day
    days_of_supply: float | None
    phase: str


def project_stock(
    *,
    first_day: date,
    held: Sequence[date],
    testing: Sequence[date],
    testing_days: int,
    demand: Sequence[float],
    limits: Mapping[str, float],
) -> list[ProjectedDay]:
    """The stock day by day if demand is the forecast: units are issued first to expire
    first, a unit past its expiry day leaves, the units in testing join after
    ``testing_days``; each day's days of supply are the units left over the mean demand of
    the week that follows, in the phase the stock bands give them."""
    stock = sorted(held)
    pending = sorted(testing)
    owed = 0.0  # demand carried over in fractions of a unit
    curve = []
    for i, need in enumerate(demand):
        day = first_day + timedelta(days=i)
        if i == testing_days:
            stock = sorted(stock + pending)
        stock = [expiry for expiry in stock if expiry >= day]
        owed += max(need, 0.0)
        issued = min(int(owed), len(stock))
        owed -= int(owed)
        stock = stock[issued:]
        ahead = [max(d, 0.0) for d in demand[i + 1 : i + 8]] or [max(need, 0.0)]
        daily = mean(ahead)
        days = round(len(stock) / daily, 2) if daily > 0 else None
        curve.append(ProjectedDay(day, len(stock), days, phase_of(days, len(stock), limits)))
    return curve
