"""Adverse reactions: whether an onset fits its category's window, and which reactions are
reported to the supervising authority at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from blood.clinical.rules.findings import Finding
from blood.clinical.rules.profile import Profile
from blood.clinical.rules.vocabulary import ALERT_CATEGORIES, ALERT_SEVERITY

# --- adverse reactions ---------------------------------------------------------------------------


def onset(
    profile: Profile,
    category: str,
    onset_at: datetime,
    transfusions: Iterable[tuple[datetime, datetime]],
) -> Finding | None:
    """Whether a reaction's onset fits its category's usual window after any of the linked
    transfusions (start, end): None when it does (or the category has none); a warning
    ``onset_outside_window`` when it does not (accepted: the clinician saw what they saw); a
    refusal ``onset_before_transfusion`` when it started before every linked transfusion."""
    periods = list(transfusions)
    started = [(start, end) for start, end in periods if onset_at >= start]
    if not started:
        first = min(start for start, _end in periods)
        return Finding("onset_before_transfusion", {"first_start": first}, refuses=True)
    window = profile.reaction_windows.get(category)
    if window is None:
        return None
    delays = [max(0.0, (onset_at - end).total_seconds() / 3600) for _start, end in started]
    if any(window.holds(hours) for hours in delays):
        return None
    return Finding(
        "onset_outside_window",
        {
            "category": category,
            "hours": round(min(delays), 1),
            "low": window.low,
            "high": window.high,
        },
    )


def alert_required(category: str, severity: int) -> bool:
    """Life-threatening or fatal reactions, and transfusion-transmitted infections, are
    reported to the supervising authority at once."""
    return severity >= ALERT_SEVERITY or category in ALERT_CATEGORIES
