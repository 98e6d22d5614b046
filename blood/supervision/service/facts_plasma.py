"""A plasma station's day in facts: donations (new and repeat donors), kilograms collected,
released, shipped and destroyed, deferrals, refused attempts, reactive results per marker;
and its snapshots — plasma in quarantine and open deviations at the end of the day.

Every query is bounded by the day's range on an indexed column (see ``models.SOURCE_INDEXES``).
A past day's snapshot is rebuilt from the current state and what changed since the day ended
(collections, releases, destructions and decisions after it), so its cost follows the time
since then, not the history before.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from blood.deviations import OPEN
from blood.plasma.models import (
    DESTROYED_DEVIATION,
    INFECTIOUS_MARKERS,
    Collection,
    LabResult,
    Shipment,
    ShipmentItem,
    UnitState,
    Visit,
    VisitStatus,
)
from blood.supervision.indicators import PLASMA_STATION, REFUSED_REASON_GROUPS
from blood.supervision.service.common import DayWindow, Facts

KG = 1000.0


def plasma_facts(session: Session, w: DayWindow, facts: Facts, *, snapshots: bool) -> None:
    ids = w.ids(PLASMA_STATION)
    if not ids:
        return
    _collections(session, w, ids, facts)
    _released_shipped(session, w, ids, facts)
    _destroyed(session, w, ids, facts)
    _lab(session, w, ids, facts)
    _deferrals(session, w, ids, facts)
    _refused(session, w, ids, facts)
    if snapshots:
        quarantine_snapshot(session, w, ids, facts)
        deviation_snapshot(session, w, ids, facts)


def _in_day(column, w: DayWindow):
    return sa.and_(column >= w.start, column < w.end)


def _collections(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    earlier = aliased(Collection)
    repeat = (
        sa.exists()
        .where(earlier.donor_id == Collection.donor_id, earlier.started_at < Collection.started_at)
        .label("repeat")
    )
    rows = session.exec(
        select(Collection.station_id, repeat, Collection.total_weight_g).where(
            Collection.station_id.in_(ids), _in_day(Collection.started_at, w)
        )
    ).all()
    for station, is_repeat, weight in rows:
        facts.add(station, "plasma_donations", ("repeat" if is_repeat else "new",), 1)
        facts.add(station, "plasma_collected_kg", (), weight / KG)


def _released_shipped(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    released = session.exec(
        select(Collection.station_id, sa.func.sum(Collection.total_weight_g))
        .where(Collection.station_id.in_(ids), _in_day(Collection.released_at, w))
        .group_by(Collection.station_id)
    ).all()
    for station, grams in released:
        facts.add(station, "plasma_released_kg", (), grams / KG)
    shipped = session.exec(
        select(Shipment.station_id, sa.func.sum(Collection.total_weight_g))
        .join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
        .join(Collection, Collection.id == ShipmentItem.collection_id)
        .where(Shipment.station_id.in_(ids), _in_day(Shipment.shipped_at, w))
        .group_by(Shipment.station_id)
    ).all()
    for station, grams in shipped:
        facts.add(station, "plasma_shipped_kg", (), grams / KG)


def _destroyed(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """A unit is destroyed when its laboratory result is entered (reactive, out of range) or
    when the quality manager rejects its deviation: the day of that record."""
    by_lab = (
        select(Collection.station_id, Collection.destroyed_reason, Collection.total_weight_g)
        .join(LabResult, LabResult.collection_id == Collection.id)
        .where(
            _in_day(LabResult.tested_at, w),
            Collection.station_id.in_(ids),
            Collection.state == UnitState.DESTROYED,
            Collection.destroyed_reason != DESTROYED_DEVIATION,
        )
    )
    by_decision = select(
        Collection.station_id, Collection.destroyed_reason, Collection.total_weight_g
    ).where(
        _in_day(Collection.deviation_decided_at, w),
        Collection.station_id.in_(ids),
        Collection.state == UnitState.DESTROYED,
        Collection.destroyed_reason == DESTROYED_DEVIATION,
    )
    for station, reason, grams in session.execute(sa.union_all(by_lab, by_decision)).all():
        facts.add(station, "plasma_destroyed_kg", (reason or "other",), grams / KG)


def _lab(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    markers = [getattr(LabResult, m) for m in INFECTIOUS_MARKERS]
    rows = session.exec(
        select(Collection.station_id, *markers)
        .join(Collection, Collection.id == LabResult.collection_id)
        .where(_in_day(LabResult.tested_at, w), Collection.station_id.in_(ids))
    ).all()
    for station, *results in rows:
        reactive = [m for m, r in zip(INFECTIOUS_MARKERS, results, strict=True) if r == "reactive"]
        for marker in INFECTIOUS_MARKERS:
            facts.add(station, "reactive_rate", (marker,), int(marker in reactive), 1, total=False)
        facts.add(station, "reactive_rate", (), int(bool(reactive)), 1)


def _deferrals(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    from blood.donors.models import Deferral

    rows = session.exec(
        select(Deferral.station_id, Deferral.reason_code, sa.func.count())
        .where(Deferral.station_id.in_(ids), _in_day(Deferral.created_at, w))
        .group_by(Deferral.station_id, Deferral.reason_code)
    ).all()
    for station, reason, count in rows:
        facts.add(station, "donor_deferrals", (reason,), count)


def _refused(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """Visits of the day (its date is the station's local date) screened ineligible for the
    interval, the one-station rule or a deferral: once each, and once per group of reason."""
    rows = session.exec(
        select(Visit.station_id, Visit.reasons).where(
            Visit.station_id.in_(ids),
            Visit.visit_date == w.day,
            Visit.status == VisitStatus.INELIGIBLE,
        )
    ).all()
    for station, reasons in rows:
        groups = refused_groups(reasons)
        for group in groups:
            facts.add(station, "refused_attempts", (group,), 1, total=False)
        if groups:
            facts.add(station, "refused_attempts", (), 1)


def refused_groups(reasons: list | None) -> list[str]:
    """The refused-attempt groups of a visit's recorded reasons, each once, in order."""
    found: list[str] = []
    for reason in reasons or []:
        code = reason.get("code") if isinstance(reason, dict) else None
        group = REFUSED_REASON_GROUPS.get(code or "")
        if group and group not in found:
            found.append(group)
    return found


# --- snapshots ------------------------------------------------------------------------------


def quarantine_snapshot(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """Plasma in quarantine at ``w.snapshot_at`` (T): collected by T and neither released nor
    destroyed by then. From the current state: what is in quarantine now and was collected by
    T, plus what was collected by T and left quarantine after it (released or destroyed after
    T) — each bounded by an indexed time after T or by the current quarantine."""
    t = w.snapshot_at
    kg: dict[int, float] = defaultdict(float)
    now_held = session.exec(
        select(Collection.station_id, sa.func.sum(Collection.total_weight_g))
        .where(
            Collection.station_id.in_(ids),
            Collection.state == UnitState.QUARANTINE,
            Collection.started_at < t,
        )
        .group_by(Collection.station_id)
    ).all()
    left_later = sa.union_all(
        select(Collection.station_id, Collection.total_weight_g).where(
            Collection.station_id.in_(ids), Collection.released_at >= t, Collection.started_at < t
        ),
        select(Collection.station_id, Collection.total_weight_g)
        .join(LabResult, LabResult.collection_id == Collection.id)
        .where(
            LabResult.tested_at >= t,
            Collection.station_id.in_(ids),
            Collection.started_at < t,
            Collection.state == UnitState.DESTROYED,
            Collection.destroyed_reason != DESTROYED_DEVIATION,
        ),
        select(Collection.station_id, Collection.total_weight_g).where(
            Collection.deviation_decided_at >= t,
            Collection.station_id.in_(ids),
            Collection.started_at < t,
            Collection.state == UnitState.DESTROYED,
            Collection.destroyed_reason == DESTROYED_DEVIATION,
        ),
    )
    for station, grams in [*now_held, *session.execute(left_later).all()]:
        kg[station] += grams or 0
    for station in ids:
        facts.add(station, "plasma_quarantine_kg", (), kg[station] / KG)


def deviation_snapshot(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """Collections with a deviation open at T: open now and collected by T, plus those
    collected by T and decided after it."""
    t = w.snapshot_at
    rows = session.execute(
        sa.union_all(
            select(Collection.station_id).where(
                Collection.deviation_status == OPEN,
                Collection.station_id.in_(ids),
                Collection.started_at < t,
            ),
            select(Collection.station_id).where(
                Collection.deviation_decided_at >= t,
                Collection.station_id.in_(ids),
                Collection.started_at < t,
            ),
        )
    ).all()
    for station in ids:
        facts.ensure(station, "open_deviations")
    for (station,) in rows:
        facts.add(station, "open_deviations", (), 1)
