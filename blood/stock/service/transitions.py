"""The one transition function every change of a unit's state goes through, and its bulk form.

``transition`` asks the pure state machine, then applies the answer with a conditional UPDATE
(WHERE state IN the allowed states AND held by the caller) that returns the changed row, so
the same unit is never issued, transfused or discarded twice, even when two requests race.
It records the movement, and counts it in the daily usage when it is use (``usage``).
``move_units`` and ``record_moves`` do the same for many units at once, set-based.

A restock, discard or expiry closes the unit's open temperature excursion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import DomainError, Forbidden
from blood.stock.lifecycle import (
    TRANSITIONS,
    Action,
    InvalidTransition,
    UnitState,
    allowed_from,
    next_state,
)
from blood.stock.models import TemperatureExcursion, Unit, UnitMovement
from blood.stock.service.unit_words import (
    ACTION_WORDS,
    STATE_WORDS,
    GroupUnknown,
    TransitionRefused,
    UnitBlocked,
    UnitExpired,
)
from blood.stock.service.usage import count_movement, count_uses, counts_as_use

# --- the one transition function ------------------------------------------------------------


def _target(unit: Unit, action: Action, holder: Organisation, now: datetime) -> UnitState:
    """The state `action` takes the unit to, or the refusal (before anything is written)."""
    try:
        target = next_state(unit.state, action, expired=unit.expires_at <= now)
    except InvalidTransition as refused:
        if refused.refusal.code == "expired":
            raise UnitExpired(
                unit=unit.label,
                expired=unit.expires_at.date().isoformat(),
                action=str(ACTION_WORDS[action]),
            ) from None
        raise _refused(unit, action) from None
    if unit.owner_id != holder.id:
        raise Forbidden()
    if target not in _GROUP_NOT_NEEDED and not (unit.abo and unit.rhd):
        raise GroupUnknown(unit=unit.label, action=str(ACTION_WORDS[action]))
    return target


# The states a unit may reach without a known group (a look-back blocks a unit still waiting
# for its tests too).
_GROUP_NOT_NEEDED = (
    UnitState.PENDING_TESTS,
    UnitState.DISCARDED,
    UnitState.EXPIRED,
    UnitState.BLOCKED,
)


def _refused(unit: Unit, action: Action) -> TransitionRefused:
    if unit.state == UnitState.BLOCKED:
        return UnitBlocked(unit=unit.label, action=str(ACTION_WORDS[action]))
    return TransitionRefused(
        unit=unit.label,
        action=str(ACTION_WORDS[action]),
        state=str(STATE_WORDS[UnitState(unit.state)]),
    )


def transition(
    *,
    session: Session,
    actor: Actor,
    unit: Unit,
    action: Action,
    holder: Organisation,
    new_owner: Organisation | None = None,
    reason: str | None = None,
    order_id: int | None = None,
    now: datetime | None = None,
) -> Unit:
    """Move `unit` by `action` if the state machine allows it and `holder` holds it."""
    now = now or utcnow()
    target = _target(unit, action, holder, now)
    before = unit.state
    values: dict[str, Any] = {"state": target.value, "updated_at": now}
    if new_owner is not None:
        values["owner_id"] = new_owner.id
    if action is Action.DISCARD:
        values["discard_reason"] = reason
    if action is Action.RESERVE:
        values["reserved_for_order_id"] = order_id
    if action in (Action.UNRESERVE, Action.ISSUE):
        values["reserved_for_order_id"] = None
    # The guard: only one of two racing requests finds the unit still in an allowed state.
    # The changed row comes back in the same statement (RETURNING): no second round trip.
    changed = session.execute(
        sa.update(Unit)
        .where(
            Unit.id == unit.id,
            Unit.owner_id == holder.id,
            Unit.state.in_([s.value for s in allowed_from(action)]),
        )
        .values(**values)
        .returning(*Unit.__table__.columns)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if changed is None:
        session.refresh(unit)  # the state another request left it in, for the refusal
        raise _refused(unit, action)
    for name, value in changed._mapping.items():
        set_committed_value(unit, name, value)
    movement = UnitMovement(
        unit_id=unit.id,
        action=action.value,
        from_state=before,
        to_state=target.value,
        organisation_id=holder.id,
        counterpart_id=new_owner.id if new_owner else None,
        component=unit.component,
        abo=unit.abo,
        rhd=unit.rhd,
        at=now,
        reason=reason,
    )
    session.add(movement)
    count_movement(session=session, movement=movement, organisation=holder)
    audit.record(
        session,
        actor,
        f"unit.{action.value}",
        unit,
        organisation=holder,
        changes={"state": [before, target.value], "reason": [None, reason]},
    )
    if action in _CLOSING:
        _close_excursion(session, unit, _CLOSING[action], now)
    return unit


# What a restock, discard or expiry makes of an open temperature excursion.
_CLOSING = {Action.RESTOCK: "restocked", Action.DISCARD: "discarded", Action.EXPIRE: "expired"}


def open_excursion(session: Session, unit: Unit) -> TemperatureExcursion | None:
    """The unit's temperature excursion not yet closed by a restock, discard or expiry."""
    return session.exec(
        select(TemperatureExcursion).where(
            TemperatureExcursion.unit_id == unit.id, TemperatureExcursion.outcome.is_(None)
        )
    ).first()


def open_excursions(*, session: Session, units: list[Unit]) -> dict[int, TemperatureExcursion]:
    """``{unit id: open excursion}`` for the units that have one (one query for a list)."""
    ids = [u.id for u in units]
    if not ids:
        return {}
    rows = session.exec(
        select(TemperatureExcursion).where(
            TemperatureExcursion.unit_id.in_(ids), TemperatureExcursion.outcome.is_(None)
        )
    ).all()
    return {row.unit_id: row for row in rows}


def _close_excursion(session: Session, unit: Unit, outcome: str, now: datetime) -> None:
    excursion = open_excursion(session, unit)
    if excursion is not None:
        excursion.outcome = outcome
        excursion.closed_at = now
        session.add(excursion)


# --- many units at once: the same transition, set-based ----------------------------------------


@dataclass(frozen=True)
class Move:
    """One unit of a bulk transition, at its own time and with its own reason."""

    unit: Unit
    at: datetime
    reason: str | None = None


@dataclass
class Moves:
    """What ``move_units`` changed, for ``record_moves``: each move applied, with the state it
    left and the row its UPDATE returned; and why the others were refused (by unit id)."""

    action: Action
    target: UnitState
    holder: Organisation
    new_owner: Organisation | None
    applied: list[tuple[Move, str, Mapping[str, Any]]] = field(default_factory=list)
    refused: dict[int, DomainError] = field(default_factory=dict)


_CHUNK = 1000  # rows per statement: far below either database's limit on parameters


def move_units(
    *,
    session: Session,
    moves: Sequence[Move],
    action: Action,
    holder: Organisation,
    new_owner: Organisation | None = None,
    order_id: int | None = None,
) -> Moves:
    """``transition`` for many units, first half: each move is asked of the state machine and
    refused alone as ``transition`` refuses it; then ONE guarded ``UPDATE … FROM (VALUES …)
    WHERE state IN (allowed) AND held by `holder` … RETURNING`` (per 1,000 units) moves every
    unit still found so. A unit another request moved meanwhile is refused alone
    (``TransitionRefused`` in the state it is in now). Nothing else is written, and loaded
    units are left as they were: ``record_moves`` must follow in the same transaction. The two
    halves are apart so that a caller can make a guarded write of its own between them, in a
    savepoint it may roll back. Restock, discard and expiry (which close temperature
    excursions) go through ``transition``."""
    if action in _CLOSING:
        raise ValueError(f"{action}: one unit at a time, through transition")
    if len({move.unit.id for move in moves}) != len(moves):
        raise ValueError("a unit moves once per call")
    _allowed, target = TRANSITIONS[action]
    result = Moves(action, target, holder, new_owner)
    going = []
    for move in moves:
        try:
            _target(move.unit, action, holder, move.at)
        except DomainError as refused:
            result.refused[move.unit.id] = refused
        else:
            going.append(move)
    columns = Unit.__table__.c
    values: dict[str, Any] = {"state": target.value}
    if new_owner is not None:
        values["owner_id"] = new_owner.id
    if action is Action.RESERVE:
        values["reserved_for_order_id"] = order_id
    if action in (Action.UNRESERVE, Action.ISSUE):
        values["reserved_for_order_id"] = None
    for start in range(0, len(going), _CHUNK):
        chunk = going[start : start + _CHUNK]
        moving = (
            sa.values(
                sa.column("id", sa.Integer), sa.column("at", columns.updated_at.type), name="moving"
            )
            .data([(move.unit.id, move.at) for move in chunk])
            .cte("moving")
        )
        returned = session.execute(
            sa.update(Unit.__table__)
            .where(
                columns.id == moving.c.id,
                columns.owner_id == holder.id,
                columns.state.in_([s.value for s in allowed_from(action)]),
            )
            .values(**values, updated_at=moving.c.at)
            .returning(*columns)
        ).all()
        changed = {row.id: row._mapping for row in returned}
        for move in chunk:
            row = changed.get(move.unit.id)
            if row is not None:
                result.applied.append((move, move.unit.state, row))
                continue
            session.refresh(move.unit)  # the state another request left it in
            result.refused[move.unit.id] = _refused(move.unit, action)
    return result


def record_moves(*, session: Session, actor: Actor, moves: Moves) -> list[Unit]:
    """``transition`` for many units, second half: the loaded units take the rows their UPDATE
    returned; their movements, their daily usage (when it is use) and their audit rows are
    written in bulk, one multi-row statement each, exactly as ``transition`` writes them one
    at a time."""
    action, holder, counterpart = moves.action, moves.holder, moves.new_owner
    units, movements, entries = [], [], []
    for move, before, row in moves.applied:
        unit = move.unit
        for name, value in row.items():
            set_committed_value(unit, name, value)
        units.append(unit)
        movements.append(
            {
                "unit_id": unit.id,
                "action": action.value,
                "from_state": before,
                "to_state": moves.target.value,
                "organisation_id": holder.id,
                "counterpart_id": counterpart.id if counterpart else None,
                "component": unit.component,
                "abo": unit.abo,
                "rhd": unit.rhd,
                "at": move.at,
                "reason": move.reason,
            }
        )
        entries.append(
            audit.Entry(
                f"unit.{action.value}",
                Unit.__tablename__,
                unit.id,
                {"state": [before, moves.target.value], "reason": [None, move.reason]},
            )
        )
    if not units:
        return []
    session.execute(sa.insert(UnitMovement.__table__), movements)
    if counts_as_use(action, holder.kind):
        count_uses(
            session=session,
            organisation=holder,
            uses=[(m["at"], m["component"], m["abo"], m["rhd"]) for m in movements],
        )
    audit.record_many(session, actor, entries, organisation=holder)
    return units
