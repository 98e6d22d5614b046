"""Quarantine: a unit is released after at least 90 days, once its own test and a later
donation's test of the same donor are negative (the 2008 quarantine rule), and never while
its collection carries a deviation the quality manager has not accepted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from blood import audit, deviations, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.db import utcnow
from blood.donors import service as donors
from blood.errors import ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page
from blood.plasma.models import Collection, LabResult, UnitState
from blood.plasma.service.station import local_date_of, quarantine_days, require_station
from blood.validation_messages import describe_invalid_din

RELEASE = Duty((Role.QUALITY,))  # who releases units from quarantine


def _hold_cutoff(days: int, station: Organisation, today: date) -> datetime:
    """Units collected before this instant have been held the full quarantine by `today`
    (counted in the station's calendar days)."""
    first_day_too_recent = today - timedelta(days=days - 1)
    local_midnight = datetime.combine(first_day_too_recent, time.min, ZoneInfo(station.timezone))
    return local_midnight.astimezone(UTC)


def _later_negative_exists():
    later = aliased(Collection)
    return (
        select(later.id)
        .join(LabResult, LabResult.collection_id == later.id)
        .where(
            later.donor_id == Collection.donor_id,
            later.started_at > Collection.started_at,
            LabResult.outcome == "negative",
        )
        .exists()
    )


def _own_negative_exists():
    return (
        select(LabResult.id)
        .where(LabResult.collection_id == Collection.id, LabResult.outcome == "negative")
        .exists()
    )


def releasable_clause(
    station: Organisation, today: date, quarantine_days: int
) -> sa.ColumnElement[bool]:
    """SQL for: in quarantine, no deviation waiting for (or refused by) the quality manager,
    tested negative, held ≥ 90 days, and a LATER donation of the same donor has tested
    negative too (the 2008 quarantine rule)."""
    return sa.and_(
        Collection.state == UnitState.QUARANTINE,
        sa.or_(Collection.deviation.is_(None), Collection.deviation_status == deviations.ACCEPTED),
        _own_negative_exists(),
        Collection.started_at < _hold_cutoff(quarantine_days, station, today),
        _later_negative_exists(),
    )


@dataclass(frozen=True)
class Blocker:
    code: str
    facts: dict[str, Any]


# A unit's state in words (the stored codes never reach a page).
UNIT_STATE_LABELS = {
    UnitState.QUARANTINE: _l("In quarantine"),
    "releasable": _l("Releasable"),
    UnitState.RELEASED: _l("Released"),
    UnitState.SHIPPED: _l("Shipped"),
    UnitState.DESTROYED: _l("Destroyed"),
    UnitState.BLOCKED: _l("Blocked by a look-back"),
}

BLOCKER_MESSAGES = {
    "not_in_quarantine": _l("Not in quarantine (now: %(state)s)."),
    "blocked": _l(
        "Blocked by a look-back: its donor has since tested reactive; it may only be destroyed."
    ),
    "not_found": _l("No unit of this station has this DIN."),
    "no_result": _l("No lab result yet."),
    "held_too_short": _l("Held %(days)s of %(required)s days; releasable from %(from_date)s."),
    "no_later_negative": _l("Waiting for a later donation of this donor to test negative."),
    "deviation_over_limit": _l(
        "Deviation: %(actual)s %(unit)s collected against a limit of %(limit)s %(unit)s; "
        "waiting for the quality manager's decision."
    ),
    "deviation_open": _l("Deviation waiting for the quality manager's decision."),
}


def unit_state_label(state: str) -> str:
    return str(UNIT_STATE_LABELS.get(state, _l("Unknown")))


def _deviation_blocker(unit: Collection) -> Blocker:
    facts = unit.deviation_facts or {}
    if {"actual", "limit", "unit"} <= set(facts):
        return Blocker(
            "deviation_over_limit",
            {
                "actual": f"{facts['actual']:g}",
                "limit": f"{facts['limit']:g}",
                "unit": facts["unit"],
            },
        )
    return Blocker("deviation_open", {})


def release_blockers(
    session: Session, unit: Collection, station: Organisation, today: date
) -> list[Blocker]:
    if unit.state == UnitState.BLOCKED:
        return [Blocker("blocked", {})]
    if unit.state != UnitState.QUARANTINE:
        return [Blocker("not_in_quarantine", {"state": unit.state})]
    blockers = []
    if unit.blocks_release:
        blockers.append(_deviation_blocker(unit))
    if session.exec(select(LabResult.id).where(LabResult.collection_id == unit.id)).first() is None:
        blockers.append(Blocker("no_result", {}))
    collected_on = local_date_of(unit.started_at, station)
    held = (today - collected_on).days
    required = quarantine_days(session)
    if held < required:
        blockers.append(
            Blocker(
                "held_too_short",
                {
                    "days": held,
                    "required": required,
                    "from_date": collected_on + timedelta(days=required),
                },
            )
        )
    later_ok = session.exec(
        select(Collection.id)
        .join(LabResult, LabResult.collection_id == Collection.id)
        .where(
            Collection.donor_id == unit.donor_id,
            Collection.started_at > unit.started_at,
            LabResult.outcome == "negative",
        )
    ).first()
    if later_ok is None:
        blockers.append(Blocker("no_later_negative", {}))
    return blockers


def describe_blocker(blocker: Blocker) -> str:
    """Why a unit cannot be released, in the user's language (dates and states in words)."""
    template = str(BLOCKER_MESSAGES[blocker.code])
    if not blocker.facts:
        return template
    facts = dict(blocker.facts)
    if "state" in facts:
        facts["state"] = unit_state_label(facts["state"])
    if isinstance(facts.get("from_date"), date):
        facts["from_date"] = format_date(facts["from_date"], "medium")
    return template % facts


def _in_quarantine(station: Organisation):
    return (
        select(Collection)
        .where(Collection.station_id == station.id, Collection.state == UnitState.QUARANTINE)
        .order_by(Collection.started_at, Collection.id)
    )


def quarantine_page(
    *, session: Session, actor: Actor, page: PageRequest
) -> Page[tuple[Collection, list[Blocker]]]:
    """The quarantine page: one page of the station's units in quarantine, oldest first,
    each with what still stands between it and its release (nothing: releasable)."""
    station = require_station(session, actor)
    today = donors.local_today(station)
    found = fetch_page(session, _in_quarantine(station), page)
    rows = [(unit, release_blockers(session, unit, station, today)) for unit in found.items]
    return Page(rows, found.page, found.size, found.total)


def quarantine_overview(
    *, session: Session, actor: Actor, limit: int = 500
) -> list[tuple[Collection, list[Blocker]]]:
    """The oldest ``limit`` units in quarantine with their blockers, in one list (the demo's
    and the tests' look; the page pages them with ``quarantine_page``)."""
    station = require_station(session, actor)
    today = donors.local_today(station)
    units = session.exec(_in_quarantine(station).limit(limit)).all()
    return [(unit, release_blockers(session, unit, station, today)) for unit in units]


def release_units(
    *, session: Session, actor: Actor, dins: list[str] | None = None
) -> tuple[list[Collection], dict[str, list[Blocker]]]:
    """Release units from quarantine in bulk (all releasable ones when `dins` is None: the
    CLI's and the demo's way; the page always names the units it shows and confirms).

    Returns the released units and, for each requested unit that cannot go, why not.
    """
    RELEASE.require(actor)
    station = require_station(session, actor)
    today = donors.local_today(station)
    statement = select(Collection).where(Collection.station_id == station.id)
    refused: dict[str, list[Blocker]] = {}
    if dins is None:
        statement = statement.where(releasable_clause(station, today, quarantine_days(session)))
    else:
        if not dins:
            raise ValidationFailed({"dins": [_("Tick at least one unit.")]})
        wanted = []
        for text in dins:
            try:
                wanted.append(isbt128.parse_din(text).din)
            except isbt128.InvalidDin as error:
                raise ValidationFailed(
                    {"dins": [f"{text}: {describe_invalid_din(error)}"]}
                ) from None
        statement = statement.where(Collection.din.in_(wanted))
    units = session.exec(statement.order_by(Collection.din).with_for_update()).all()
    if dins is not None:
        found = {u.din for u in units}
        for din in sorted(set(wanted) - found):
            refused[din] = [Blocker("not_found", {})]
    released = []
    for unit in units:
        blockers = release_blockers(session, unit, station, today)
        if blockers:
            refused[unit.din] = blockers
            continue
        before = audit.snapshot(unit, ["state", "released_at"])
        unit.state = UnitState.RELEASED
        unit.released_at = utcnow()
        unit.released_by_id = actor.user_id
        audit.record(session, actor, "plasma.release", unit, before=before)
        released.append(unit)
    return released, refused
