"""The forecasting engine, edge by edge (pure: no database)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from blood.analytics import forecasting as f
from blood.analytics.holidays import covered_years, holiday_days
from blood.stock.bands import DEFAULT_THRESHOLDS

HOLIDAYS = holiday_days()
START = date(2024, 12, 2)  # a Monday


def weekly_history(days: int, *, seed: int = 1, holiday_share: float = 1.0) -> list[float]:
    """Issues with a strong week: 26 a weekday, 12 at weekends, noise; holidays scaled."""
    rng = random.Random(seed)
    values = []
    for i in range(days):
        day = START + timedelta(days=i)
        base = 26 if day.weekday() < 5 else 12
        if day in HOLIDAYS:
            base *= holiday_share
        values.append(float(max(0, round(rng.gauss(base, 2)))))
    return values


def test_the_holiday_table_covers_the_spring_festivals_of_2024_to_2028():
    assert covered_years() == (2024, 2028)
    for festival_day in ("2024-02-10", "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26"):
        assert HOLIDAYS[date.fromisoformat(festival_day)] == "spring_festival"
    assert HOLIDAYS[date(2026, 10, 1)] == "national_day"
    assert date(2026, 3, 10) not in HOLIDAYS


def test_a_short_or_sparse_history_gets_the_baseline_and_says_why():
    short = f.forecast([3.0] * 30, START, 14, HOLIDAYS)
    assert (short.method, short.note) == (f.SEASONAL_NAIVE, "short_history")
    sparse = f.forecast(([0.0] * 6 + [1.0]) * 20, START, 14, HOLIDAYS)
    assert (sparse.method, sparse.note) == (f.SEASONAL_NAIVE, "sparse_history")
    assert len(sparse.mean) == 14


def test_the_model_follows_the_week_with_an_ordered_interval():
    history = weekly_history(365)
    first = START + timedelta(days=365)
    made = f.forecast(history, first, 14, HOLIDAYS)
    assert made.method == f.ETS and made.note == ""
    weekdays = [m for d, m in zip(made.days, made.mean, strict=True) if d.weekday() < 5]
    weekends = [m for d, m in zip(made.days, made.mean, strict=True) if d.weekday() >= 5]
    assert min(weekdays) > max(weekends)
    for lo, m, hi in zip(made.lower, made.mean, made.upper, strict=True):
        assert 0 <= lo <= m <= hi


def test_holidays_lower_the_forecast_when_they_lowered_the_history():
    history = weekly_history(730, holiday_share=0.5)
    first = START + timedelta(days=730)  # 2026-12-02: the next holiday is New Year's Day
    made = f.forecast(history, first, 35, HOLIDAYS)
    assert 0.3 <= made.holiday_factor < 0.75
    new_year = made.days.index(date(2027, 1, 1))
    same_weekday_before = new_year - 7
    assert made.mean[new_year] < 0.75 * made.mean[same_weekday_before]


def test_the_backtest_prefers_the_model_on_a_weekly_series():
    accuracy = f.backtest(weekly_history(365), START, HOLIDAYS, horizon=14, origins=4)
    assert accuracy.origins == 4
    assert accuracy.model_beats_baseline
    assert accuracy.mase_model < accuracy.mase_baseline


def test_the_backtest_keeps_the_baseline_when_the_model_is_not_better():
    # Each week exactly the last one again (after one odd week long ago): the baseline is
    # perfect on every backtest window, and no model can beat that.
    week = [5.0, 9.0, 7.0, 8.0, 6.0, 2.0, 3.0]
    history = [12.0, 1.0, 4.0, 15.0, 0.0, 9.0, 6.0] + week * 40
    accuracy = f.backtest(history, START, {}, horizon=14, origins=3)
    assert accuracy.origins == 3
    assert accuracy.mase_baseline == 0
    assert not accuracy.model_beats_baseline


def test_the_projection_issues_first_to_expire_first_and_finds_the_red_day():
    first = date(2026, 12, 5)
    limits = DEFAULT_THRESHOLDS["red_cells"]  # pre-amber 6, amber 4, red 2 days
    curve = f.project_stock(
        first_day=first,
        held=[first + timedelta(days=30)] * 20,
        testing=[],
        testing_days=2,
        demand=[2.0] * 14,
        limits=limits,
    )
    assert [p.units for p in curve[:3]] == [18, 16, 14]
    amber = next(p.day for p in curve if p.phase in ("amber", "red"))
    red = next(p.day for p in curve if p.phase == "red")
    assert amber < red
    assert curve[(red - first).days].units < 2 * 2  # under two days of 2 a day


def test_the_projection_drops_expired_units_and_adds_those_in_testing():
    first = date(2026, 12, 5)
    curve = f.project_stock(
        first_day=first,
        held=[first, first + timedelta(days=20)],  # one expires today
        testing=[first + timedelta(days=20)] * 3,
        testing_days=2,
        demand=[0.0] * 5,
        limits=DEFAULT_THRESHOLDS["red_cells"],
    )
    assert [p.units for p in curve] == [2, 1, 4, 4, 4]


def summer_history(days: int, *, first: date, summer: float = 1.5, seed: int = 3) -> list[float]:
    """The weekly series, with July and August at ``summer`` times the rest of the year."""
    rng = random.Random(seed)
    values = []
    for i in range(days):
        day = first + timedelta(days=i)
        base = (26 if day.weekday() < 5 else 12) * (summer if day.month in (7, 8) else 1.0)
        values.append(float(max(0, round(rng.gauss(base, 2)))))
    return values


def test_a_year_of_history_brings_the_summer_back_into_the_forecast():
    first = date(2024, 7, 1)
    history = summer_history(731, first=first)  # to 2026-06-30
    july = first + timedelta(days=731)
    factors = f.yearly_factors(history, first, HOLIDAYS)
    assert factors[7] > 1.25 and factors[3] < 1.0
    made = f.forecast(history, july, 14, HOLIDAYS)
    june = history[-14:]
    assert made.method == f.ETS
    assert sum(made.mean) > 1.3 * sum(june)  # July's level, not June's
    # Under a year and a month of history there is no yearly adjustment.
    assert f.yearly_factors(history[-390:], july - timedelta(days=390), HOLIDAYS) == {}
    # The baseline stays the same weekday of last week.
    baseline = f.forecast(history, july, 7, HOLIDAYS, method=f.SEASONAL_NAIVE)
    assert list(baseline.mean) == history[-7:]


def test_the_totals_sum_each_window_the_forecast_covers():
    mean = [float(i) for i in range(1, 29)]  # 1 … 28
    lower = [m - 1 for m in mean]
    upper = [m + 2 for m in mean]
    week, fortnight, four_weeks = f.horizon_totals(mean, lower, upper)
    assert (week.days, week.mean, week.lower, week.upper) == (7, 28.0, 21.0, 42.0)
    assert (fortnight.days, fortnight.mean) == (14, 105.0)
    assert (four_weeks.days, four_weeks.mean, four_weeks.upper) == (28, 406.0, 462.0)
    # a forecast of ten days covers the week only: no fortnight is made up
    assert [t.days for t in f.horizon_totals(mean[:10], lower[:10], upper[:10])] == [7]
