"""The Chinese public holidays that move blood demand (Spring Festival above all), as data:
``data/holidays_cn.csv``, one row a holiday period. Pure: no Flask, no database."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from functools import cache
from pathlib import Path

HOLIDAYS_CSV = Path(__file__).with_name("data") / "holidays_cn.csv"


@cache
def holiday_days(path: Path = HOLIDAYS_CSV) -> dict[date, str]:
    """``{day: festival}`` for every day off in the table."""
    days: dict[date, str] = {}
    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            first, last = date.fromisoformat(row["first"]), date.fromisoformat(row["last"])
            if last < first:
                raise ValueError(f"holiday {row['festival']} ends before it starts")
            day = first
            while day <= last:
                days[day] = row["festival"]
                day += timedelta(days=1)
    return days


def covered_years(path: Path = HOLIDAYS_CSV) -> tuple[int, int]:
    """The first and last year the table covers (forecasts beyond it see no holidays)."""
    years = {d.year for d in holiday_days(path)}
    return min(years), max(years)
