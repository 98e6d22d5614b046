"""Returns to the blood centre and discards at the hospital, through the stock's own
``hospital_action`` (the unit's state machine decides), and their reconciliation reads from
the stock's unit movements (every return and discard, whichever page or system made it); and
the hospital's stock, unit by unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.clinical.service.common import (
    CursorPage,
    by_id,
    cursor_page,
    recording_hospital,
    scope,
)
from blood.db import utcnow
from blood.errors import DomainError
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock import service as stock
from blood.stock.lifecycle import LIVE, Action, UnitState
from blood.stock.models import Unit, UnitMovement


@dataclass(frozen=True)
class UnitAction:
    """One unit (as scanned) and why it is returned or discarded."""

    din: str
    product_code: str
    reason: str
    division: str = "00"


@dataclass(frozen=True)
class Movement:
    """A return or discard as the reconciliation reads show it."""

    movement: UnitMovement
    unit: Unit
    hospital: Organisation


def _apply(
    session: Session, actor: Actor, items: Sequence[UnitAction], action: Action
) -> list[Movement]:
    """All or nothing: the first refusal names its unit (``facts.index``) and nothing is
    written (the request rolls back)."""
    recording_hospital(session=session, actor=actor)
    done = []
    for index, item in enumerate(items):
        try:
            unit = stock.find_unit(
                session=session,
                actor=actor,
                din=item.din,
                product_code=item.product_code,
                division=item.division,
            )
            stock.hospital_action(
                session=session, actor=actor, unit=unit, action=action, reason=item.reason
            )
        except DomainError as refused:
            refused.facts = {**refused.facts, "index": index}
            if hasattr(refused, "fields"):
                refused.fields = {f"units.{index}.{k}": v for k, v in refused.fields.items()}
            raise
        moved = session.exec(
            select(UnitMovement)
            .where(UnitMovement.unit_id == unit.id, UnitMovement.action == action.value)
            .order_by(UnitMovement.id.desc())
        ).first()
        done.append(moved)
    return _movements(session, done)


def return_units(*, session: Session, actor: Actor, items: Sequence[UnitAction]) -> list[Movement]:
    """Return units the hospital holds (in stock, or on hold after a temperature excursion)
    to their blood centre, each with its reason."""
    return _apply(session, actor, items, Action.RETURN)


def discard_units(*, session: Session, actor: Actor, items: Sequence[UnitAction]) -> list[Movement]:
    """Discard units the hospital holds, each with its reason (the stock's list)."""
    return _apply(session, actor, items, Action.DISCARD)


def _movements(session: Session, rows: Sequence[UnitMovement]) -> list[Movement]:
    units = by_id(session, Unit, [m.unit_id for m in rows])
    orgs = by_id(session, Organisation, [m.organisation_id for m in rows])
    return [Movement(m, units[m.unit_id], orgs[m.organisation_id]) for m in rows]


def _list(
    session: Session,
    actor: Actor,
    action: Action,
    *,
    since: datetime | None,
    cursor: str | None,
    limit: int | None,
    hospital: str | None,
) -> CursorPage[Movement]:
    statement = scope(
        select(UnitMovement)
        .join(Organisation, Organisation.id == UnitMovement.organisation_id)
        .where(UnitMovement.action == action.value, Organisation.kind == OrgKind.HOSPITAL),
        UnitMovement.organisation_id,
        session=session,
        actor=actor,
        hospital=hospital,
    )
    return cursor_page(
        session,
        statement,
        kind=action.value,
        at_column=UnitMovement.at,
        id_column=UnitMovement.id,
        since=since,
        cursor=cursor,
        limit=limit,
        load=_movements,
    )


def list_returns(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    hospital: str | None = None,
) -> CursorPage[Movement]:
    """Returns by hospitals (the actor's own; an authority's jurisdiction), in record order."""
    return _list(
        session, actor, Action.RETURN, since=since, cursor=cursor, limit=limit, hospital=hospital
    )


def list_discards(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    hospital: str | None = None,
) -> CursorPage[Movement]:
    """Discards by hospitals (the actor's own; an authority's jurisdiction), in record order."""
    return _list(
        session, actor, Action.DISCARD, since=since, cursor=cursor, limit=limit, hospital=hospital
    )


def held_units(
    *,
    session: Session,
    actor: Actor,
    page: PageRequest,
    state: str | None = None,
    component: str | None = None,
    expires_before: datetime | None = None,
) -> Page[Unit]:
    """The units the actor's hospital (or blood centre) holds, first to expire first:
    in one state, or every state in which a unit may still change (in stock, on hold …)."""
    holder = stock.acting_holder(session=session, actor=actor)
    statement = select(Unit).where(Unit.owner_id == holder.id)
    if state:
        statement = statement.where(Unit.state == state)
    else:
        statement = statement.where(Unit.state.in_([s.value for s in LIVE]))
    if component:
        statement = statement.where(Unit.component == component)
    if expires_before is not None:
        statement = statement.where(Unit.expires_at < expires_before)
    return fetch_page(session, statement.order_by(Unit.expires_at, Unit.id), page)


def transfusable_units(*, session: Session, actor: Actor, limit: int = 1000) -> list[Unit]:
    """The units the hospital may transfuse now (received, not expired), by component and
    DIN: the choices of the web form."""
    hospital = recording_hospital(session=session, actor=actor)
    return list(
        session.exec(
            select(Unit)
            .where(
                Unit.owner_id == hospital.id,
                Unit.state == UnitState.RECEIVED,
                Unit.expires_at > utcnow(),
            )
            .order_by(Unit.component, Unit.din, Unit.product_code, Unit.division)
            .limit(limit)
        ).all()
    )
