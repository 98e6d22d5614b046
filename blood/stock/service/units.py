"""Units: finding them, and the one transition function every change of state goes through.

``transition`` asks the pure state machine, then applies the answer with a conditional UPDATE
(WHERE state IN the allowed states AND held by the caller) that returns the changed row, so
the same unit is never issued, transfused or discarded twice, even when two requests race.
It records the movement, and counts it in the daily usage when it is use (``usage``).

A unit received out of its temperature range is on hold at the hospital: not stock on hand;
the hospital returns it to the centre or discards it. Once back at the centre, only the
quality manager may put it back into stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.db import utcnow
from blood.errors import DomainError, Forbidden, NotFound, ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock.lifecycle import (
    LIVE,
    TRANSITIONS,
    Action,
    InvalidTransition,
    UnitState,
    allowed_from,
    next_state,
)
from blood.stock.models import (
    SERVICE_DISCARD_REASONS,
    TemperatureExcursion,
    Unit,
    UnitMovement,
)
from blood.stock.service.organisations import acting_centre, acting_holder, acting_hospital
from blood.stock.service.usage import count_movement, count_uses, counts_as_use
from blood.validation_messages import describe_invalid_din

# States in which a unit counts as stock on hand (a held unit does not).
ON_HAND = (UnitState.AVAILABLE, UnitState.RESERVED, UnitState.RECEIVED)
DISCARD_REASONS = {
    "temperature_excursion": _l("Storage temperature out of range"),
    "damaged": _l("Bag damaged or leaking"),
    "reactive_test": _l("Reactive screening test"),
    "clinical_not_used": _l("Issued for a patient, not used"),
    "quality": _l("Quality or visual inspection failure"),
    "other": _l("Other"),
    "test_out_of_range": _l("Laboratory result above its limit (ALT)"),
    "deviation_rejected": _l("Collection deviation rejected by the quality manager"),
}
# The reasons a person chooses; the others are written by the services only.
MANUAL_DISCARD_REASONS = {
    code: text for code, text in DISCARD_REASONS.items() if code not in SERVICE_DISCARD_REASONS
}
ACTION_WORDS = {
    Action.RELEASE: _l("released"),
    Action.RESERVE: _l("reserved"),
    Action.UNRESERVE: _l("unreserved"),
    Action.ISSUE: _l("issued"),
    Action.RECEIVE: _l("received"),
    Action.HOLD: _l("put on hold"),
    Action.TRANSFUSE: _l("transfused"),
    Action.RETURN: _l("returned"),
    Action.RESTOCK: _l("restocked"),
    Action.DISCARD: _l("discarded"),
    Action.EXPIRE: _l("expired"),
}
STATE_WORDS = {
    UnitState.PENDING_TESTS: _l("waiting for test results"),
    UnitState.AVAILABLE: _l("available"),
    UnitState.RESERVED: _l("reserved"),
    UnitState.ISSUED: _l("in transit"),
    UnitState.RECEIVED: _l("in hospital stock"),
    UnitState.ON_HOLD: _l("on hold after a temperature excursion"),
    UnitState.TRANSFUSED: _l("transfused"),
    UnitState.RETURNED: _l("returned"),
    UnitState.DISCARDED: _l("discarded"),
    UnitState.EXPIRED: _l("expired"),
}


class TransitionRefused(DomainError):
    status = 409
    code = "invalid_transition"
    template = _l("Unit %(unit)s cannot be %(action)s: it is %(state)s.")


class GroupUnknown(DomainError):
    status = 409
    code = "group_unknown"
    template = _l("Unit %(unit)s has no confirmed ABO/RhD group: it cannot be %(action)s.")


class UnitExpired(DomainError):
    status = 409
    code = "unit_expired"
    template = _l("Unit %(unit)s expired on %(expired)s: it cannot be %(action)s.")


# --- finding units -------------------------------------------------------------------------


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


def live_units(*, session: Session, actor: Actor, page: PageRequest) -> Page[Unit]:
    """The units the actor's blood centre or hospital holds that may still change state
    (waiting for tests, in stock, returned), by state then first to expire, a page at a
    time."""
    holder = acting_holder(session=session, actor=actor)
    statement = (
        select(Unit)
        .where(Unit.owner_id == holder.id, Unit.state.in_([s.value for s in LIVE]))
        .order_by(Unit.state, Unit.expires_at, Unit.id)
    )
    return fetch_page(session, statement, page)


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
    if target not in (UnitState.PENDING_TESTS, UnitState.DISCARDED, UnitState.EXPIRED) and not (
        unit.abo and unit.rhd
    ):
        raise GroupUnknown(unit=unit.label, action=str(ACTION_WORDS[action]))
    return target


def _refused(unit: Unit, action: Action) -> TransitionRefused:
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


def may_restock(*, session: Session, actor: Actor, unit: Unit) -> bool:
    """Whether the actor may put this returned unit back into the centre's stock (the units
    page offers the button on this; ``hospital_action`` refuses on the same rule): a stock
    clerk or the quality manager, and only the quality manager after a temperature
    excursion."""
    if unit.state != UnitState.RETURNED or actor.organisation_id != unit.owner_id:
        return False
    if open_excursion(session, unit) is not None:
        return actor.has_role(Role.QUALITY)
    return actor.has_role(Role.STOCK_CLERK, Role.QUALITY)


def discard_donation_units(
    *, session: Session, actor: Actor, centre: Organisation, donation_id: int, reason: str
) -> list[Unit]:
    """Discard every unit of the donation that the centre still holds and that may change
    state (a reactive test, a rejected deviation)."""
    units = session.exec(
        select(Unit)
        .where(
            Unit.donation_id == donation_id,
            Unit.owner_id == centre.id,
            Unit.state.in_([s.value for s in LIVE]),
        )
        .order_by(Unit.id)
    ).all()
    return [
        transition(
            session=session,
            actor=actor,
            unit=unit,
            action=Action.DISCARD,
            holder=centre,
            reason=reason,
        )
        for unit in units
    ]


def hospital_action(
    *, session: Session, actor: Actor, unit: Unit, action: Action, reason: str | None = None
) -> Unit:
    """Return or discard a unit held by the actor's hospital (or, for discard, by the actor's
    blood centre); restock a returned unit at the centre. A unit on hold after a temperature
    excursion can only be returned or discarded; back at the centre, only the quality manager
    restocks it. Transfusing is not here: there is one way to transfuse, the clinical record
    (``blood.clinical``), which checks the patient's safety first."""
    if action not in (Action.RETURN, Action.DISCARD, Action.RESTOCK):
        raise ValidationFailed({"action": [_("Return, discard or restock.")]})
    if action is Action.DISCARD and reason not in MANUAL_DISCARD_REASONS:
        raise ValidationFailed({"reason": [_("Choose a discard reason from the list.")]})
    if action is Action.RESTOCK:
        require_role(actor, Role.STOCK_CLERK, Role.QUALITY)
        holder = acting_centre(session=session, actor=actor)
        if unit.owner_id != holder.id:
            raise Forbidden()
        if open_excursion(session, unit) is not None:
            # Back after a temperature excursion: the quality manager decides.
            require_role(actor, Role.QUALITY)
        return transition(session=session, actor=actor, unit=unit, action=action, holder=holder)
    if action is Action.DISCARD:
        require_role(actor, Role.TRANSFUSION_OFFICER, Role.STOCK_CLERK, Role.QUALITY)
        holder = acting_holder(session=session, actor=actor)
        return transition(
            session=session, actor=actor, unit=unit, action=action, holder=holder, reason=reason
        )
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_hospital(session=session, actor=actor)
    new_owner = session.get(Organisation, unit.centre_id) if action is Action.RETURN else None
    return transition(
        session=session,
        actor=actor,
        unit=unit,
        action=action,
        holder=hospital,
        new_owner=new_owner,
        reason=reason,
    )
