"""Units: finding them (by what was scanned, by id, the live ones a page at a time).

The rest of a unit's story lives beside this module and is re-exported here, so that
``from blood.stock.service.units import …`` keeps working: the words and refusals
(``unit_words``), the one transition function and its bulk form (``transitions``), and what
people do to a unit by hand (``unit_actions``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import isbt128
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor, visible_org_ids
from blood.errors import NotFound, ValidationFailed
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock.lifecycle import LIVE
from blood.stock.models import Unit
from blood.stock.service.organisations import acting_holder
from blood.stock.service.transitions import (
    Move,
    Moves,
    move_units,
    open_excursion,
    open_excursions,
    record_moves,
    transition,
)
from blood.stock.service.unit_actions import (
    discard_donation_units,
    hospital_action,
    may_restock,
)
from blood.stock.service.unit_words import (
    ACTION_WORDS,
    DISCARD_REASONS,
    MANUAL_DISCARD_REASONS,
    ON_HAND,
    STATE_WORDS,
    GroupUnknown,
    TransitionRefused,
    UnitBlocked,
    UnitExpired,
)
from blood.validation_messages import describe_invalid_din

__all__ = [
    "ACTION_WORDS",
    "DISCARD_REASONS",
    "MANUAL_DISCARD_REASONS",
    "ON_HAND",
    "STATE_WORDS",
    "UNIT_SORTS",
    "GroupUnknown",
    "Move",
    "Moves",
    "TransitionRefused",
    "UnitBlocked",
    "UnitExpired",
    "UnitListQuery",
    "discard_donation_units",
    "find_unit",
    "find_units",
    "hospital_action",
    "live_units",
    "may_restock",
    "move_units",
    "open_excursion",
    "open_excursions",
    "own_unit",
    "own_units",
    "record_moves",
    "transition",
    "unit_ref",
]


def unit_ref(din: str, product_code: str | None, division: str | None) -> tuple[str, str, str]:
    """(DIN, product code, division) as units are stored, from what was scanned or sent; a
    wrong check character on a scanned DIN is refused (ValidationFailed on ``din``)."""
    try:
        parsed = isbt128.parse_din(din)
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [describe_invalid_din(error)]}) from None
    return parsed.din, (product_code or "").strip().upper(), division or "00"


def find_unit(
    *, session: Session, actor: Actor, din: str, product_code: str, division: str = "00"
) -> Unit:
    """A unit held by (or produced by) an organisation the actor may see. A wrong check
    character on a scanned DIN is refused."""
    din, product_code, division = unit_ref(din, product_code, division)
    unit = session.exec(
        select(Unit).where(
            Unit.din == din,
            Unit.product_code == product_code,
            Unit.division == division,
            sa.or_(
                Unit.owner_id.in_(visible_org_ids(actor)),
                Unit.centre_id.in_(visible_org_ids(actor)),
            )
            if not actor.is_system
            else sa.true(),
        )
    ).first()
    if unit is None:
        raise NotFound()
    return unit


def find_units(*, session: Session, actor: Actor, refs: list[Mapping[str, Any]]) -> list[Unit]:
    """``find_unit`` for each ``{din, product_code, division}``, in order."""
    return [find_unit(session=session, actor=actor, **ref) for ref in refs]


def _held(session: Session, holder: Organisation, unit_ids: list[int]) -> list[Unit]:
    return list(
        session.exec(select(Unit).where(Unit.id.in_(unit_ids), Unit.owner_id == holder.id)).all()
    )


def own_unit(*, session: Session, actor: Actor, unit_id: int) -> Unit:
    """A unit the actor's blood centre or hospital holds (not found otherwise)."""
    holder = acting_holder(session=session, actor=actor)
    unit = session.get(Unit, unit_id)
    if unit is None or unit.owner_id != holder.id:
        raise NotFound()
    return unit


def own_units(*, session: Session, actor: Actor, unit_ids: list[int]) -> list[Unit]:
    """Those of the units that the actor's blood centre or hospital holds; others are left
    out."""
    return _held(session, acting_holder(session=session, actor=actor), unit_ids)


# The columns a unit list may be sorted by (``?sort=-expires``).
UNIT_SORTS = {
    "din": Unit.din,
    "component": Unit.component,
    "group": Unit.abo,
    "expires": Unit.expires_at,
    "state": Unit.state,
}


@dataclass(frozen=True)
class UnitListQuery:
    """The unit list's search (DIN), filters, expiry dates and sort."""

    q: str | None = None
    state: str | None = None
    component: str | None = None
    group: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


def live_units(
    *, session: Session, actor: Actor, page: PageRequest, query: UnitListQuery | None = None
) -> Page[Unit]:
    """The units the actor's blood centre or hospital holds that may still change state
    (waiting for tests, in stock, returned), first to expire first unless sorted otherwise,
    searched by DIN and filtered by state, component, group and expiry dates."""
    query = query or UnitListQuery()
    holder = acting_holder(session=session, actor=actor)
    statement = select(Unit).where(
        Unit.owner_id == holder.id, Unit.state.in_([s.value for s in LIVE])
    )
    if query.q:
        statement = statement.where(Unit.din.contains(query.q.strip().upper(), autoescape=True))
    if query.state:
        statement = statement.where(Unit.state == query.state)
    if query.component:
        statement = statement.where(Unit.component == query.component)
    if query.group:
        statement = statement.where(Unit.abo == query.group[:-1], Unit.rhd == query.group[-1])
    if query.date_from:
        statement = statement.where(
            Unit.expires_at >= datetime.combine(query.date_from, time(), UTC)
        )
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Unit.expires_at < end)
    if query.sort:
        statement = order_by_sort(statement, UNIT_SORTS, query.sort, "expires", Unit.id)
    else:
        statement = statement.order_by(Unit.state, Unit.expires_at, Unit.id)
    return fetch_page(session, statement, page)
