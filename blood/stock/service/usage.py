"""Daily usage: what days of supply divide by, kept as it happens instead of counted from
every movement each time a stock page is read.

A blood centre's issues and a hospital's transfusions count as use (``counts_as_use``). Each
adds its unit to ``DailyUsage`` — one row per organisation, local day (in the organisation's
time zone), component and ABO/RhD group — with one INSERT … ON CONFLICT DO UPDATE, in the
transaction of its movement: ``transition`` calls ``count_movement``, and so must any code
that writes movements itself (the demo, the benchmark's data). ``count_use`` with negative
units takes use back; nothing does today (a return never undid an issue in days of supply).

``usage_in_window`` reads it for stock levels. The window is (now − N days, now] to the
second, as when it was counted from the movements: the whole local days in it come from the
roll-up (at most a row per day, component and group of each organisation, however many
units), the part of a day at its start (under a day) from the movements themselves, through
their (organisation, action, at) index. The sum equals the
count of the movements, exactly; movements after ``now`` count too, as they always did.

Locks: on PostgreSQL the row counted stays locked until the transaction ends. A centre's
issues are serialised already by its dispatch counter (``blood.sequences``, taken before any
unit is issued). A hospital's single transfusion counts one row; a batch counts all of its
rows at once with ``count_uses``, which writes them in one fixed order (organisation, day,
component, group), so two transactions never wait for each other's rows in opposite orders.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.stock.lifecycle import Action
from blood.stock.models import DailyUsage, UnitMovement

# Whose movements count as use: a blood centre's issues, a hospital's transfusions.
USE = {OrgKind.BLOOD_CENTRE: Action.ISSUE, OrgKind.HOSPITAL: Action.TRANSFUSE}
Group = tuple[str, str, str]  # component, abo, rhd


def counts_as_use(action: str, organisation_kind: str) -> bool:
    """Whether a movement by an organisation of this kind is use (days of supply)."""
    return USE.get(OrgKind(organisation_kind)) == action


def local_day(at: datetime, timezone: str) -> date:
    """The day `at` falls on where the organisation is (a naive `at` is UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).date()


def count_use(
    *,
    session: Session,
    organisation: Organisation,
    at: datetime,
    component: str,
    abo: str | None,
    rhd: str | None,
    units: int = 1,
) -> None:
    """Add `units` used by the organisation at `at` (negative to take use back). A unit
    without a group is in no stock level and is not counted."""
    if abo is None or rhd is None:
        return
    table = DailyUsage.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).values(
        organisation_id=organisation.id,
        day=local_day(at, organisation.timezone),
        component=component,
        abo=abo,
        rhd=rhd,
        units=units,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                table.c.organisation_id,
                table.c.day,
                table.c.component,
                table.c.abo,
                table.c.rhd,
            ],
            set_={"units": table.c.units + statement.excluded.units},
        )
    )


def count_uses(
    *,
    session: Session,
    organisation: Organisation,
    uses: Iterable[tuple[datetime, str, str | None, str | None]],
) -> None:
    """``count_use`` of one unit each for many (at, component, abo, rhd) of one organisation:
    added up per row of the roll-up first, then one INSERT … ON CONFLICT DO UPDATE for all of
    them (per 1,000 rows), in a fixed order of the rows (see Locks above)."""
    added: Counter[tuple[date, str, str, str]] = Counter()
    for at, component, abo, rhd in uses:
        if abo is not None and rhd is not None:
            added[(local_day(at, organisation.timezone), component, abo, rhd)] += 1
    if not added:
        return
    table = DailyUsage.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [
        {
            "organisation_id": organisation.id,
            "day": day,
            "component": component,
            "abo": abo,
            "rhd": rhd,
            "units": units,
        }
        for (day, component, abo, rhd), units in sorted(added.items())
    ]
    for start in range(0, len(rows), 1000):
        statement = insert(table).values(rows[start : start + 1000])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    table.c.organisation_id,
                    table.c.day,
                    table.c.component,
                    table.c.abo,
                    table.c.rhd,
                ],
                set_={"units": table.c.units + statement.excluded.units},
            )
        )


def count_movement(*, session: Session, movement: UnitMovement, organisation: Organisation) -> None:
    """Count the movement (written by `organisation`) if it is use."""
    if counts_as_use(movement.action, organisation.kind):
        count_use(
            session=session,
            organisation=organisation,
            at=movement.at,
            component=movement.component,
            abo=movement.abo,
            rhd=movement.rhd,
        )


def usage_in_window(*, session: Session, scope: Any, now: datetime, days: int) -> dict[Group, int]:
    """Units used by the organisations in `scope` (ids, or a select of them) in
    (now − days, now], per component and group (and any later: the window has no upper
    end, as it never had). Two statements: the organisations in scope that use units (their
    kind and time zone), then the roll-up's whole days and the part-day at the window's
    start in one UNION ALL, each bounded by an index on (organisation, …)."""
    cutoff = now - timedelta(days=days)
    holders = session.exec(
        select(Organisation.id, Organisation.kind, Organisation.timezone).where(
            Organisation.id.in_(scope), Organisation.kind.in_(list(USE))
        )
    ).all()
    by_zone: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for organisation_id, kind, zone in holders:
        by_zone[zone][kind].append(organisation_id)
    whole_days, part_day = [], []
    for zone, kinds in by_zone.items():
        # The first local day wholly inside the window, and the instant it begins there.
        first = local_day(cutoff, zone) + timedelta(days=1)
        begins = datetime.combine(first, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        ids = [i for members in kinds.values() for i in members]
        whole_days.append(sa.and_(DailyUsage.organisation_id.in_(ids), DailyUsage.day >= first))
        part_day += [
            sa.and_(
                UnitMovement.organisation_id.in_(members),
                UnitMovement.action == USE[OrgKind(kind)].value,
                UnitMovement.at > cutoff,
                UnitMovement.at < begins,
            )
            for kind, members in kinds.items()
        ]
    if not whole_days:
        return {}
    rolled_up = (
        select(DailyUsage.component, DailyUsage.abo, DailyUsage.rhd, func.sum(DailyUsage.units))
        .where(sa.or_(*whole_days))
        .group_by(DailyUsage.component, DailyUsage.abo, DailyUsage.rhd)
    )
    start = (
        select(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd, func.count())
        .where(sa.or_(*part_day), UnitMovement.abo.is_not(None), UnitMovement.rhd.is_not(None))
        .group_by(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd)
    )
    used: Counter[Group] = Counter()
    for component, abo, rhd, units in session.execute(sa.union_all(rolled_up, start)).all():
        used[(component, abo, rhd)] += int(units)
    return dict(used)
