"""The station's plasma by state and blood group."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, func, select

from blood.accounts.scoping import Actor
from blood.donors import service as donors
from blood.plasma.models import Collection
from blood.plasma.service.quarantine import releasable_clause
from blood.plasma.service.station import quarantine_days, require_station


@dataclass(frozen=True)
class InventoryRow:
    state: str
    blood_group: str  # "" when not known
    units: int
    weight_g: float


def inventory(*, session: Session, actor: Actor) -> list[InventoryRow]:
    """Plasma by state (quarantine, releasable, released, shipped, destroyed) and group."""
    station = require_station(session, actor)
    today = donors.local_today(station)
    state = sa.case(
        (releasable_clause(station, today, quarantine_days(session)), sa.literal("releasable")),
        else_=Collection.state,
    ).label("state")
    # A group is shown only when both halves are known ("A" with RhD unknown is no group).
    group = sa.case(
        (
            sa.and_(Collection.abo.is_not(None), Collection.rhd.is_not(None)),
            Collection.abo + Collection.rhd,
        ),
        else_=sa.literal(""),
    ).label("grp")
    rows = session.exec(
        select(state, group, func.count(), func.sum(Collection.total_weight_g))
        .where(Collection.station_id == station.id)
        .group_by(state, group)
    ).all()
    order = ["quarantine", "releasable", "released", "shipped", "destroyed"]
    result = [InventoryRow(s, g or "", int(n), float(w or 0)) for s, g, n, w in rows]
    return sorted(result, key=lambda r: (order.index(r.state), r.blood_group))


@dataclass(frozen=True)
class InventoryOverview:
    rows: list[InventoryRow]
    totals: dict[str, tuple[int, float]]  # state -> (units, weight in g)


def inventory_overview(*, session: Session, actor: Actor) -> InventoryOverview:
    """The inventory with its totals per state."""
    rows = inventory(session=session, actor=actor)
    totals: dict[str, tuple[int, float]] = {}
    for row in rows:
        units, weight = totals.get(row.state, (0, 0.0))
        totals[row.state] = (units + row.units, weight + row.weight_g)
    return InventoryOverview(rows=rows, totals=totals)
