"""A blood centre's and a hospital's day in facts: collections, components, laboratory
results, issues, receipts, returns, discards, expiries and wastage; and the snapshots — units
on hand and days of supply per component and ABO/RhD group, open deviations.

Units on hand at the end of a past day (T) are rebuilt from the current stock and the
movements after T: a unit that has moved since was where its first later movement took it
from (``UnitMovement.organisation_id`` is the holder, ``from_state`` its state then). Days of
supply divide by the average daily use of the 28 days to T, from the daily usage roll-up
(``blood.stock.service.usage``): both bounded by the time since T and the window, not by the
history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import settings
from blood.accounts.roles import OrgKind
from blood.deviations import OPEN
from blood.stock.lifecycle import Action
from blood.stock.models import (
    METHOD_OF_KIND,
    BloodDonation,
    BloodTestResult,
    DailyUsage,
    Unit,
    UnitMovement,
)
from blood.stock.service.units import ON_HAND
from blood.stock.service.usage import USE
from blood.supervision.indicators import BLOOD_CENTRE, HOSPITAL
from blood.supervision.service.common import DayWindow, Facts, local_date

ON_HAND_STATES = [s.value for s in ON_HAND]
QUALITATIVE = ("negative", "reactive")


def stock_facts(session: Session, w: DayWindow, facts: Facts, *, snapshots: bool) -> None:
    centres, hospitals = w.ids(BLOOD_CENTRE), w.ids(HOSPITAL)
    if centres:
        _donations(session, w, centres, facts)
        _components(session, w, centres, facts)
        _lab(session, w, centres, facts)
    if centres or hospitals:
        _movements(session, w, centres, hospitals, facts)
    if snapshots and (centres or hospitals):
        stock_snapshot(session, w, centres + hospitals, facts)
    if snapshots and centres:
        _deviation_snapshot(session, w, centres, facts)


def _in_day(column, w: DayWindow):
    return sa.and_(column >= w.start, column < w.end)


def _donations(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    ml_per_unit = settings.of(session).clinical_ml_per_unit
    rows = session.exec(
        select(
            BloodDonation.centre_id,
            BloodDonation.kind,
            sa.func.count(),
            sa.func.sum(BloodDonation.volume_ml),
        )
        .where(BloodDonation.centre_id.in_(ids), _in_day(BloodDonation.collected_at, w))
        .group_by(BloodDonation.centre_id, BloodDonation.kind)
    ).all()
    for centre, kind, count, volume in rows:
        facts.add(centre, "blood_collections", (METHOD_OF_KIND.get(kind, kind),), count)
        if kind == "whole_blood":
            facts.add(centre, "whole_blood_units", (), (volume or 0) / ml_per_unit)


def _components(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    rows = session.exec(
        select(BloodDonation.centre_id, Unit.component, sa.func.count())
        .join(Unit, Unit.donation_id == BloodDonation.id)
        .where(BloodDonation.centre_id.in_(ids), _in_day(BloodDonation.collected_at, w))
        .group_by(BloodDonation.centre_id, Unit.component)
    ).all()
    for centre, component, count in rows:
        facts.add(centre, "components_produced", (component,), count)


def _lab(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """Qualitative markers only (a measured one, ALT, is within or above a limit, not
    reactive): per marker, and donations with any reactive result in total."""
    rows = session.exec(
        select(
            BloodTestResult.centre_id,
            BloodTestResult.donation_id,
            BloodTestResult.marker,
            BloodTestResult.result,
        ).where(
            BloodTestResult.centre_id.in_(ids),
            _in_day(BloodTestResult.entered_at, w),
            BloodTestResult.result.in_(QUALITATIVE),
        )
    ).all()
    donations: dict[tuple[int, int], bool] = {}
    for centre, donation, marker, result in rows:
        reactive = result == "reactive"
        facts.add(centre, "reactive_rate", (marker,), int(reactive), 1, total=False)
        donations[(centre, donation)] = donations.get((centre, donation), False) or reactive
    for (centre, _donation), reactive in donations.items():
        facts.add(centre, "reactive_rate", (), int(reactive), 1)


def _movements(
    session: Session, w: DayWindow, centres: list[int], hospitals: list[int], facts: Facts
) -> None:
    rows = session.exec(
        select(
            UnitMovement.organisation_id,
            UnitMovement.action,
            UnitMovement.component,
            UnitMovement.reason,
            UnitMovement.counterpart_id,
            sa.func.count(),
        )
        .where(_in_day(UnitMovement.at, w), UnitMovement.organisation_id.in_(centres + hospitals))
        .group_by(
            UnitMovement.organisation_id,
            UnitMovement.action,
            UnitMovement.component,
            UnitMovement.reason,
            UnitMovement.counterpart_id,
        )
    ).all()
    codes = {o.id: o.code for o in w.organisations}
    is_centre = set(centres)
    for org, action, component, reason, counterpart, n in rows:
        if action == Action.ISSUE and org in is_centre:
            hospital = codes.get(counterpart) or _code_of(session, counterpart, codes)
            facts.add(org, "units_issued", (hospital, component), n)
            facts.add(org, "wastage_rate", (component,), 0, n)
        elif action == Action.RECEIVE and org not in is_centre:
            facts.add(org, "units_received", (component,), n)
            facts.add(org, "wastage_rate", (component,), 0, n)
        elif action == Action.RETURN:
            facts.add(org, "units_returned", (reason or "other",), n)
        elif action == Action.DISCARD:
            facts.add(org, "units_discarded", (reason or "other", component), n)
            facts.add(org, "wastage_rate", (component,), n)
        elif action == Action.EXPIRE:
            facts.add(org, "units_expired", (component,), n)
            facts.add(org, "wastage_rate", (component,), n)


def _code_of(session: Session, organisation_id: int | None, known: dict[int, str]) -> str:
    """A counterpart in another time zone (rare): its code, looked up once."""
    from blood.accounts.models import Organisation

    if organisation_id is None:
        return "-"
    org = session.get(Organisation, organisation_id)
    known[organisation_id] = org.code if org else str(organisation_id)
    return known[organisation_id]


def _deviation_snapshot(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    t = w.snapshot_at
    rows = session.execute(
        sa.union_all(
            select(BloodDonation.centre_id).where(
                BloodDonation.deviation_status == OPEN,
                BloodDonation.centre_id.in_(ids),
                BloodDonation.collected_at < t,
            ),
            select(BloodDonation.centre_id).where(
                BloodDonation.deviation_decided_at >= t,
                BloodDonation.centre_id.in_(ids),
                BloodDonation.collected_at < t,
            ),
        )
    ).all()
    for centre in ids:
        facts.ensure(centre, "open_deviations")
    for (centre,) in rows:
        facts.add(centre, "open_deviations", (), 1)


# --- units on hand and days of supply --------------------------------------------------------

Group = tuple[int, str, str, str]  # holder, component, abo, rhd


def units_on_hand_at(session: Session, w: DayWindow, ids: list[int]) -> dict[Group, int]:
    """Usable units per holder, component and group at T = ``w.snapshot_at``: held now and
    unmoved since T, or moved since T out of a usable state at the holder; collected by T
    and not expired by T (two statements)."""
    t = w.snapshot_at
    counts: dict[Group, int] = defaultdict(int)
    held = session.exec(
        select(Unit.owner_id, Unit.component, Unit.abo, Unit.rhd, sa.func.count())
        .where(
            Unit.owner_id.in_(ids),
            Unit.state.in_(ON_HAND_STATES),
            Unit.expires_at > t,
            Unit.collected_at <= t,
        )
        .group_by(Unit.owner_id, Unit.component, Unit.abo, Unit.rhd)
    ).all()
    for owner, component, abo, rhd, n in held:
        counts[(owner, component, abo, rhd)] += n
    if w.is_today:
        return counts
    later = session.exec(
        select(
            UnitMovement.unit_id,
            UnitMovement.from_state,
            UnitMovement.organisation_id,
            Unit.state,
            Unit.owner_id,
            Unit.component,
            Unit.abo,
            Unit.rhd,
        )
        .join(Unit, Unit.id == UnitMovement.unit_id)
        .where(UnitMovement.at >= t, Unit.expires_at > t, Unit.collected_at <= t)
        .order_by(UnitMovement.unit_id, UnitMovement.at, UnitMovement.id)
    ).all()
    wanted, seen = set(ids), set()
    for unit_id, from_state, mover, state, owner, component, abo, rhd in later:
        if unit_id in seen:
            continue
        seen.add(unit_id)
        if state in ON_HAND_STATES and owner in wanted:
            counts[(owner, component, abo, rhd)] -= 1  # counted above: it was elsewhere at T
        if from_state in ON_HAND_STATES and mover in wanted and abo and rhd:
            counts[(mover, component, abo, rhd)] += 1
    return counts


def daily_use_at(session: Session, w: DayWindow, ids: list[int]) -> dict[Group, float]:
    """Average daily use in the window of days to T, as the stock pages count it (whole
    local days from the roll-up, the part-day at the window's start from the movements)."""
    window = settings.of(session).stock_usage_window_days
    t = w.snapshot_at
    cutoff = t - timedelta(days=window)
    first = local_date(cutoff, w.zone) + timedelta(days=1)
    from blood.supervision.service.common import day_bounds

    begins, _ = day_bounds(first, w.zone)
    kinds = {o.id: OrgKind(o.kind) for o in w.organisations if o.id in set(ids)}
    by_action: dict[str, list[int]] = defaultdict(list)
    for org_id, kind in kinds.items():
        by_action[USE[kind].value].append(org_id)
    whole = select(
        DailyUsage.organisation_id,
        DailyUsage.component,
        DailyUsage.abo,
        DailyUsage.rhd,
        DailyUsage.units,
    ).where(DailyUsage.organisation_id.in_(ids), DailyUsage.day >= first, DailyUsage.day <= w.day)
    part = (
        select(
            UnitMovement.organisation_id,
            UnitMovement.component,
            UnitMovement.abo,
            UnitMovement.rhd,
            sa.func.count(),
        )
        .where(
            sa.or_(
                *(
                    sa.and_(UnitMovement.organisation_id.in_(orgs), UnitMovement.action == action)
                    for action, orgs in by_action.items()
                )
            ),
            UnitMovement.at > cutoff,
            UnitMovement.at < begins,
            UnitMovement.abo.is_not(None),
            UnitMovement.rhd.is_not(None),
        )
        .group_by(
            UnitMovement.organisation_id,
            UnitMovement.component,
            UnitMovement.abo,
            UnitMovement.rhd,
        )
    )
    used: dict[Group, float] = defaultdict(float)
    for org, component, abo, rhd, units in session.execute(sa.union_all(whole, part)).all():
        used[(org, component, abo, rhd)] += units / window
    return used


def stock_snapshot(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    on_hand = units_on_hand_at(session, w, ids)
    use = daily_use_at(session, w, ids)
    for holder in ids:
        facts.ensure(holder, "stock_on_hand")
        facts.ensure(holder, "days_of_supply", 0)
    for key in sorted(set(on_hand) | set(use), key=lambda k: (k[0], k[1], k[2] or "", k[3] or "")):
        holder, component, abo, rhd = key
        if not abo or not rhd:
            continue
        units, daily = on_hand.get(key, 0), use.get(key, 0.0)
        if units:
            facts.add(holder, "stock_on_hand", (component, f"{abo}{rhd}"), units)
        facts.add(holder, "days_of_supply", (component, f"{abo}{rhd}"), units, daily)
