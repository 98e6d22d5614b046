"""The look-back window, as a pure rule: no Flask, no database.

A reactive result on one donation means the donor may have been infectious, undetected, at
earlier donations: every donation back to the last one that tested negative for the same
marker is traced (that one included: a window-period infection tests negative), and never
further back than the window (12 months by default). When a marker never tested negative
before, or the case has no marker (a transmitted infection reported by a hospital, a case
opened by hand), the whole window is traced. Donations after the index one are always traced.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_WINDOW_MONTHS = 12


@dataclass(frozen=True)
class TestedDonation:
    din: str
    at: datetime
    negatives: frozenset[str]  # the markers this donation tested negative for


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the last day of a shorter month)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def window_start(
    donations: Iterable[TestedDonation],
    *,
    index_at: datetime,
    markers: Iterable[str],
    months: int = DEFAULT_WINDOW_MONTHS,
) -> datetime:
    """From when the donor's donations are traced (inclusive)."""
    earliest = months_before(index_at, months)
    earlier = [d for d in donations if d.at < index_at]
    bounds = []
    for marker in markers:
        negative = [d.at for d in earlier if marker in d.negatives]
        if not negative:
            return earliest
        bounds.append(max(negative))
    if not bounds:
        return earliest
    return max(earliest, min(bounds))
