"""Computing the indicators: each organisation's local day into stored facts.

Organisations of one time zone share their day's bounds, so a day is computed for all of them
together: a fixed number of statements per time zone, each bounded by the day's range on an
indexed column — the cost follows that day's rows, not the history (``tests/supervision``
counts the statements). Recomputing a day replaces its rows in the caller's transaction
(delete, then insert), so a re-run or a second scheduler changes nothing.

Snapshots (units on hand, plasma in quarantine, open deviations) describe now for today, and
are rebuilt from what changed since for a past day up to ``supervision_snapshot_rebuild_days``
back (the scheduler's run after midnight rebuilds yesterday's from a few minutes of changes);
older days keep the snapshot values they were stored with.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Forbidden
from blood.supervision.indicators import INDICATORS
from blood.supervision.models import IndicatorFact
from blood.supervision.service.activity import record_activity
from blood.supervision.service.common import COMPUTED_KINDS, DayWindow, Facts, local_date
from blood.supervision.service.facts_clinical import clinical_facts
from blood.supervision.service.facts_plasma import plasma_facts
from blood.supervision.service.facts_stock import stock_facts

MAX_DAYS = 400


@dataclass(frozen=True)
class ComputeResult:
    days: int  # organisation-days computed
    facts: int  # rows written
    first: date | None
    last: date | None


def compute_indicators(
    *,
    session: Session,
    actor: Actor,
    day: date | None = None,
    days: int = 1,
    now: datetime | None = None,
    rebuild_days: int | None = None,
) -> ComputeResult:
    """Compute `days` local days ending on `day` (default: each organisation's today) for
    every plasma station, blood centre and hospital. The scheduler's job (every 15 minutes
    for today, after midnight for yesterday) and ``flask --app app blood compute-indicators``
    call it with the system actor. `rebuild_days` overrides how far back snapshots are
    rebuilt (the demo rebuilds its whole history)."""
    if not actor.is_system:
        raise Forbidden()
    days = max(1, min(int(days), MAX_DAYS))
    now = now or utcnow()
    horizon = (
        rebuild_days
        if rebuild_days is not None
        else settings.of(session).supervision_snapshot_rebuild_days
    )
    zones: dict[str, list[Organisation]] = defaultdict(list)
    for org in session.exec(
        select(Organisation).where(Organisation.kind.in_([k.value for k in COMPUTED_KINDS]))
    ).all():
        zones[org.timezone].append(org)
    done, written, seen = 0, 0, []
    for zone, members in sorted(zones.items()):
        last = day or local_date(now, zone)
        for back in range(days - 1, -1, -1):
            window = DayWindow.of(last - timedelta(days=back), zone, now, members)
            if window.start > now:
                continue  # a day that has not begun anywhere in this zone
            written += compute_window(session, window, rebuild_days=horizon)
            done += len(members)
            seen.append(window.day)
    return ComputeResult(done, written, min(seen, default=None), max(seen, default=None))


def compute_window(session: Session, w: DayWindow, *, rebuild_days: int) -> int:
    """One zone's organisations for one local day: gather, then replace the stored rows of
    the indicators computed (a snapshot too old to rebuild keeps its stored rows)."""
    snapshots = w.is_today or (w.now - w.end) <= timedelta(days=rebuild_days)
    facts = Facts()
    plasma_facts(session, w, facts, snapshots=snapshots)
    stock_facts(session, w, facts, snapshots=snapshots)
    clinical_facts(session, w, facts)
    ids = [o.id for o in w.organisations]
    codes = [c for c, i in INDICATORS.items() if snapshots or not i.is_snapshot]
    session.execute(
        sa.delete(IndicatorFact).where(
            IndicatorFact.organisation_id.in_(ids),
            IndicatorFact.day == w.day,
            IndicatorFact.indicator.in_(codes),
        )
    )
    records = facts.records(w.day, utcnow())
    if records:
        # The table's insert, not the ORM's bulk insert: that one leaves out None values and
        # so splits the rows into a statement per run of rows with or without a denominator
        # (hundreds a day); this one sends them all as multi-row INSERTs.
        session.execute(sa.insert(IndicatorFact.__table__), records)
    record_activity(session, since=w.start, until=min(w.end, w.now))
    return len(records)
