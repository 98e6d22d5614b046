"""Periods an inspector asks about, and the buckets of a series. Pure: no Flask, no database.

A period is a run of calendar days, named as the authority's calendar names them: a day
(``2026-03-05``), an ISO week (``2026-W10``), a month (``2026-03``), a quarter (``2026-Q1``), a
year (``2026``) or a custom range (``2026-03-01..2026-03-15``). DHIS2's spellings are accepted
too (``20260305``, ``2026W10``, ``202603``, ``2026Q1``), and words relative to the authority's
today: ``today``, ``yesterday``, ``this-week``, ``last-week``, ``this-month``, ``last-month``,
``this-quarter``, ``last-quarter``, ``this-year``, ``last-year``, ``last-N-days``.

Which day is "today" is the caller's business (the authority's time zone); the facts a period
covers are each organisation's local days whose dates fall in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

DAY, WEEK, MONTH, QUARTER, YEAR, RANGE = "day", "week", "month", "quarter", "year", "range"
GRAINS = (DAY, WEEK, MONTH, QUARTER, YEAR)
MAX_DAYS = 1100  # about three years: a longer range is refused, not computed
RELATIVE = (
    "today",
    "yesterday",
    "this-week",
    "last-week",
    "this-month",
    "last-month",
    "this-quarter",
    "last-quarter",
    "this-year",
    "last-year",
)
EARLIEST = date(2000, 1, 1)
LATEST = date(2199, 12, 31)


class PeriodError(ValueError):
    """Not a period this module can read, or one too long."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def label(self) -> str:
        """The canonical name (what ``parse`` reads back)."""
        if self.kind == DAY:
            return self.start.isoformat()
        if self.kind == WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def dhis2(self) -> str | None:
        """DHIS2's period id (``20261122``, ``2026W47``, ``202611``, ``2026Q4``, ``2026``);
        None for a custom range, which DHIS2 has no name for."""
        if self.kind == RANGE:
            return None
        return self.label.replace("-", "")


def day(on: date) -> Period:
    return Period(DAY, on, on)


def week(on: date) -> Period:
    start = on - timedelta(days=on.isoweekday() - 1)
    return Period(WEEK, start, start + timedelta(days=6))


def month(on: date) -> Period:
    start = on.replace(day=1)
    return Period(MONTH, start, _add_months(start, 1) - timedelta(days=1))


def quarter(on: date) -> Period:
    start = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
    return Period(QUARTER, start, _add_months(start, 3) - timedelta(days=1))


def year(on: date) -> Period:
    return Period(YEAR, date(on.year, 1, 1), date(on.year, 12, 31))


OF_KIND = {DAY: day, WEEK: week, MONTH: month, QUARTER: quarter, YEAR: year}


def custom(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError("the range ends before it starts")
    period = Period(RANGE, start, end)
    if period.days > MAX_DAYS:
        raise PeriodError(f"a range is at most {MAX_DAYS} days")
    return period


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})-?W(\d{1,2})$"), "week"),
    (re.compile(r"^(\d{4})-?Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-?(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)
_LAST_DAYS = re.compile(r"^last-(\d{1,4})-days$")


def parse(text: str, today: date) -> Period:
    """The period ``text`` names (see the module); PeriodError when it names none."""
    text = (text or "").strip()
    if ".." in text:
        first, _, last = text.partition("..")
        return custom(_one_day(first), _one_day(last))
    relative = _relative(text.lower(), today)
    if relative is not None:
        return relative
    for pattern, shape in _PATTERNS:
        found = pattern.match(text.upper())
        if found:
            return _bounded(_of_shape(shape, [int(g) for g in found.groups()]))
    raise PeriodError(f"not a period: {text!r}")


def _of_shape(shape: str, parts: list[int]) -> Period:
    try:
        if shape == "ymd":
            return day(date(*parts))
        if shape == "week":
            return week(date.fromisocalendar(parts[0], parts[1], 1))
        if shape == "quarter":
            return quarter(date(parts[0], 3 * parts[1] - 2, 1))
        if shape == "month":
            return month(date(parts[0], parts[1], 1))
        return year(date(parts[0], 1, 1))
    except ValueError:
        raise PeriodError("no such date") from None


def _one_day(text: str) -> date:
    period = parse(text, date.today())
    if period.kind != DAY:
        raise PeriodError("a range is two days: 2026-03-01..2026-03-15")
    return period.start


def _bounded(period: Period) -> Period:
    if period.start < EARLIEST or period.end > LATEST:
        raise PeriodError("out of range")
    return period


def _relative(text: str, today: date) -> Period | None:
    found = _LAST_DAYS.match(text)
    if found:
        n = int(found.group(1))
        if not 1 <= n <= MAX_DAYS:
            raise PeriodError(f"last-N-days takes 1 to {MAX_DAYS} days")
        return custom(today - timedelta(days=n - 1), today)
    if text not in RELATIVE:
        return None
    if text in ("today", "yesterday"):
        return day(today - timedelta(days=0 if text == "today" else 1))
    which, _, kind = text.partition("-")
    current = OF_KIND[kind](today)
    return current if which == "this" else OF_KIND[kind](current.start - timedelta(days=1))


def buckets(period: Period, grain: str) -> list[Period]:
    """The periods of one grain that make up `period`, clipped to it (a month's weeks start
    and end with the month)."""
    if grain not in OF_KIND:
        raise PeriodError(f"grain is one of {', '.join(GRAINS)}")
    found: list[Period] = []
    cursor = period.start
    while cursor <= period.end:
        whole = OF_KIND[grain](cursor)
        found.append(Period(grain, max(whole.start, period.start), min(whole.end, period.end)))
        cursor = whole.end + timedelta(days=1)
    return found
