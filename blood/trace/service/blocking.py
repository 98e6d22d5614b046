"""Blocking a look-back case's units: every component still in stock anywhere (the stock's
own guarded ``Action.BLOCK`` transition, one conditional UPDATE per holder) and every plasma
collection still at its station (one guarded UPDATE); what each unit is after the block is read
again, so the case lists what really happened."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.plasma.models import Collection
from blood.plasma.models import UnitState as PlasmaState
from blood.stock.lifecycle import Action, UnitState, allowed_from
from blood.stock.models import Unit
from blood.stock.service.transitions import Move, move_units, record_moves
from blood.trace.models import CaseUnit, LookbackCase

if TYPE_CHECKING:
    from blood.trace.service.lookback import _Donation

_PLASMA_BLOCKABLE = (PlasmaState.QUARANTINE, PlasmaState.RELEASED)


def unit_label(row: CaseUnit) -> str:
    if row.product_code is None:
        return row.din
    return f"{row.din} {row.product_code}{'' if row.division == '00' else row.division}"


def block_components(
    session: Session, actor: Actor, case: LookbackCase, donations: list[_Donation], now: datetime
) -> list[CaseUnit]:
    if not donations:
        return []
    collectors = {d.din: d.organisation_id for d in donations}
    units = session.exec(
        select(Unit)
        .where(Unit.din.in_(list(collectors)))
        .order_by(Unit.din, Unit.product_code, Unit.division)
    ).all()
    found = {u.id: u.state for u in units}
    blockable = allowed_from(Action.BLOCK)
    by_owner: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        if UnitState(unit.state) in blockable:
            by_owner[unit.owner_id].append(unit)
    for owner_id, held in by_owner.items():
        holder = session.get(Organisation, owner_id)
        moves = move_units(
            session=session,
            moves=[Move(u, now, reason=f"lookback:{case.number}") for u in held],
            action=Action.BLOCK,
            holder=holder,
        )
        # A unit moved meanwhile (transfused, issued) was refused and reloaded: it is listed
        # as it is now.
        record_moves(session=session, actor=actor, moves=moves)
    rows = []
    for unit in units:
        state = UnitState(unit.state)
        outcome = (
            "blocked"
            if state is UnitState.BLOCKED
            else "transfused"
            if state is UnitState.TRANSFUSED
            else "gone"
        )
        rows.append(
            CaseUnit(
                case_id=case.id,
                kind="component",
                unit_id=unit.id,
                din=unit.din,
                product_code=unit.product_code,
                division=unit.division,
                collected_at=unit.collected_at,
                collector_id=collectors[unit.din],
                holder_id=unit.owner_id,
                state_found=found[unit.id],
                outcome=outcome,
            )
        )
    return rows


def block_plasma(
    session: Session, actor: Actor, case: LookbackCase, donations: list[_Donation], now: datetime
) -> list[CaseUnit]:
    if not donations:
        return []
    collections = session.exec(
        select(Collection).where(Collection.id.in_([d.id for d in donations]))
    ).all()
    found = {c.id: c.state for c in collections}
    ids = [c.id for c in collections if c.state in _PLASMA_BLOCKABLE]
    blocked: set[int] = set()
    if ids:
        blocked = set(
            session.execute(
                sa.update(Collection)
                .where(Collection.id.in_(ids), Collection.state.in_(_PLASMA_BLOCKABLE))
                .values(state=PlasmaState.BLOCKED)
                .returning(Collection.id)
                .execution_options(synchronize_session=False)
            ).scalars()
        )
    if ids:
        # Read again in one statement: blocked, or as a racing shipment left them.
        session.exec(
            select(Collection)
            .where(Collection.id.in_(ids))
            .execution_options(populate_existing=True)
        ).all()
    rows = []
    for collection in collections:
        if collection.id in blocked:
            audit.record(
                session,
                actor,
                "plasma.block",
                collection,
                changes={
                    "state": [found[collection.id], PlasmaState.BLOCKED],
                    "case": [None, case.number],
                },
                organisation=session.get(Organisation, collection.station_id),
            )
        outcome = {
            PlasmaState.BLOCKED: "blocked",
            PlasmaState.SHIPPED: "shipped",
        }.get(collection.state, "gone")
        rows.append(
            CaseUnit(
                case_id=case.id,
                kind="plasma",
                collection_id=collection.id,
                din=collection.din,
                collected_at=collection.started_at,
                collector_id=collection.station_id,
                holder_id=collection.station_id,
                state_found=found[collection.id],
                outcome=outcome,
            )
        )
    return rows
