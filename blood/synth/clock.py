"""The synthetic history's time line: local days (the organisations' time zone), the instants
in them (stored in UTC, as every timestamp is), and where the history ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, *, start: date, end: datetime, timezone: str):
        self.zone = ZoneInfo(timezone)
        self.start = start
        self.end = end  # nothing happens after this instant (UTC)
        self.last_day = self.day_of(end)
        self._midnights: dict[date, datetime] = {}

    def midnight(self, day: date) -> datetime:
        """The instant (UTC) the local day begins."""
        found = self._midnights.get(day)
        if found is None:
            found = datetime.combine(day, time(), self.zone).astimezone(UTC)
            self._midnights[day] = found
        return found

    def at(self, day: date, minutes: float) -> datetime:
        """``minutes`` after the local day's midnight (UTC)."""
        return self.midnight(day) + timedelta(minutes=minutes)

    def day_of(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def days(self):
        day = self.start
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def months(self) -> list[tuple[date, date]]:
        """(first, last) local day of each calendar month of the history."""
        found, day = [], self.start
        while day <= self.last_day:
            following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            found.append((day, min(following - timedelta(days=1), self.last_day)))
            day = following
        return found

    def month_key(self, instant: datetime) -> tuple[int, int]:
        day = self.day_of(instant)
        return day.year, day.month
