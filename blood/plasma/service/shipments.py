"""Shipments: released units leave for a manufacturer in boxes, each unit once; who sees a
shipment; its units and discrepancies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, Duty, visible_org_ids
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page
from blood.plasma.models import Collection, Shipment, ShipmentDiscrepancy, ShipmentItem, UnitState
from blood.plasma.service.station import require_station
from blood.sequences import next_value

SHIP = Duty((Role.QUALITY,))  # who ships released units


def manufacturers(session: Session) -> list[Organisation]:
    """Any active manufacturer may receive plasma; only code and name are shown to stations."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == OrgKind.MANUFACTURER, Organisation.active)
            .order_by(Organisation.code)
        ).all()
    )


def build_shipment(
    *,
    session: Session,
    actor: Actor,
    manufacturer_code: str,
    dins: list[str],
    box_size: int = 24,
) -> Shipment:
    """Ship released units in boxes; each unit ships once, even under concurrent requests."""
    SHIP.require(actor)
    station = require_station(session, actor)
    errors: dict[str, list[str]] = {}
    manufacturer = session.exec(
        select(Organisation).where(
            Organisation.code == (manufacturer_code or "").strip().upper(),
            Organisation.kind == OrgKind.MANUFACTURER,
            Organisation.active,
        )
    ).first()
    if manufacturer is None:
        errors["manufacturer_code"] = [_("Choose a manufacturer from the list.")]
    if not 1 <= box_size <= 200:
        errors["box_size"] = [_("Between 1 and 200 units a box.")]
    wanted: list[str] = []
    bad: list[str] = []
    for text in dins:
        try:
            wanted.append(isbt128.parse_din(text).din)
        except isbt128.InvalidDin:
            bad.append(text)
    if bad:
        errors["dins"] = [_("Not valid DINs: %(dins)s", dins=", ".join(bad))]
    elif not wanted:
        errors["dins"] = [_("Choose at least one released unit.")]
    elif len(set(wanted)) != len(wanted):
        errors["dins"] = [_("A DIN is listed twice.")]
    if errors:
        raise ValidationFailed(errors)

    units = session.exec(
        select(Collection)
        .where(Collection.station_id == station.id, Collection.din.in_(wanted))
        .order_by(Collection.din)
        .with_for_update()
    ).all()
    by_din = {u.din: u for u in units}
    blocked = [d for d in wanted if d in by_din and by_din[d].state == UnitState.BLOCKED]
    if blocked:
        raise ValidationFailed(
            {
                "dins": [
                    _(
                        "Blocked by a look-back (the donor has since tested reactive), they "
                        "cannot be shipped: %(dins)s",
                        dins=", ".join(blocked),
                    )
                ]
            }
        )
    not_shippable = [d for d in wanted if d not in by_din or by_din[d].state != UnitState.RELEASED]
    if not_shippable:
        raise ValidationFailed(
            {
                "dins": [
                    _("Not released, or already shipped: %(dins)s", dins=", ".join(not_shippable))
                ]
            }
        )
    # The conditional update is the guard against a concurrent shipment of the same units.
    updated = session.execute(
        sa.update(Collection)
        .where(Collection.id.in_([u.id for u in units]), Collection.state == UnitState.RELEASED)
        .values(state=UnitState.SHIPPED)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != len(units):
        raise Conflict(_l("Some of these units were shipped meanwhile; reload and try again."))
    number = f"{station.code}-S{next_value(session, f'shipment:{station.id}'):05d}"
    shipment = Shipment(
        number=number,
        station_id=station.id,
        manufacturer_id=manufacturer.id,
        shipped_by_id=actor.user_id,
    )
    session.add(shipment)
    session.flush()
    for index, din in enumerate(wanted):
        session.add(
            ShipmentItem(
                shipment_id=shipment.id,
                collection_id=by_din[din].id,
                box_label=f"B{index // box_size + 1:02d}",
            )
        )
    for unit in units:
        session.refresh(unit)
    audit.record(
        session,
        actor,
        "plasma.ship",
        shipment,
        organisation=station,
        changes={"number": [None, number], "dins": [None, wanted], "to": [None, manufacturer.code]},
    )
    return shipment


def _visible_shipments(actor: Actor):
    """The sending station (and authorities above it) and the receiving manufacturer."""
    if actor.is_system:
        return select(Shipment)
    visible = visible_org_ids(actor)
    return select(Shipment).where(
        sa.or_(Shipment.station_id.in_(visible), Shipment.manufacturer_id.in_(visible))
    )


def list_shipments(*, session: Session, actor: Actor, page: PageRequest) -> Page[Shipment]:
    """Shipments the actor sent (station) or is to receive (manufacturer), or in its
    jurisdiction, latest first, a page at a time."""
    statement = _visible_shipments(actor).order_by(Shipment.shipped_at.desc(), Shipment.id.desc())
    return fetch_page(session, statement, page)


@dataclass(frozen=True)
class ShipmentListQuery:
    """The shipment list's search (number), state, the other party's code, shipping dates,
    sort and page."""

    q: str | None = None
    state: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ShipmentRow:
    """One shipment of a list: its parties, how many units and their weight."""

    shipment: Shipment
    station: Organisation
    manufacturer: Organisation
    units: int
    weight_kg: float


_TOTALS = (
    select(
        ShipmentItem.shipment_id.label("shipment_id"),
        sa.func.count(ShipmentItem.id).label("units"),
        sa.func.coalesce(sa.func.sum(Collection.total_weight_g), 0).label("weight_g"),
    )
    .join(Collection, Collection.id == ShipmentItem.collection_id)
    .group_by(ShipmentItem.shipment_id)
    .subquery("shipment_totals")
)
_UNITS = sa.func.coalesce(_TOTALS.c.units, 0)
_WEIGHT = sa.func.coalesce(_TOTALS.c.weight_g, 0)
# The columns a shipment list may be sorted by (``?sort=-weight``).
SHIPMENT_SORTS = {
    "number": Shipment.number,
    "shipped": Shipment.shipped_at,
    "units": _UNITS,
    "weight": _WEIGHT,
    "state": Shipment.status,
}


def shipment_list(
    *, session: Session, actor: Actor, query: ShipmentListQuery, size: int | None = None
) -> Page[ShipmentRow]:
    """A page of the shipments the actor may see, with units and weight counted by the
    database and both parties loaded for the page in one query."""
    visible = _visible_shipments(actor).subquery()
    statement = (
        select(Shipment, _UNITS, _WEIGHT)
        .where(Shipment.id.in_(select(visible.c.id)))
        .outerjoin(_TOTALS, _TOTALS.c.shipment_id == Shipment.id)
    )
    if query.q:
        statement = statement.where(
            Shipment.number.contains(query.q.strip().upper(), autoescape=True)
        )
    if query.state:
        statement = statement.where(Shipment.status == query.state)
    if query.organisation:
        party = select(Organisation.id).where(Organisation.code == query.organisation.upper())
        statement = statement.where(
            sa.or_(Shipment.station_id.in_(party), Shipment.manufacturer_id.in_(party))
        )
    if query.date_from:
        start = datetime.combine(query.date_from, time(), UTC)
        statement = statement.where(Shipment.shipped_at >= start)
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Shipment.shipped_at < end)
    statement = order_by_sort(statement, SHIPMENT_SORTS, query.sort, "-shipped", Shipment.id)
    request = PageRequest(query.page, size) if size else PageRequest(query.page)
    found = fetch_page(session, statement, request)
    ids = {i for row in found.items for i in (row[0].station_id, row[0].manufacturer_id)}
    orgs = (
        {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {}
    )
    rows = [
        ShipmentRow(
            shipment=shipment,
            station=orgs[shipment.station_id],
            manufacturer=orgs[shipment.manufacturer_id],
            units=int(units),
            weight_kg=float(weight) / 1000,
        )
        for shipment, units, weight in found.items
    ]
    return replace(found, items=rows)


def shipment_counterparts(*, session: Session, actor: Actor) -> list[Organisation]:
    """The organisations on the other side of the shipments the actor may see."""
    visible = _visible_shipments(actor).subquery()
    ids = select(visible.c.station_id).union(select(visible.c.manufacturer_id))
    statement = select(Organisation).where(Organisation.id.in_(ids))
    if actor.organisation_id is not None:
        statement = statement.where(Organisation.id != actor.organisation_id)
    return list(session.exec(statement.order_by(Organisation.code)).all())


def get_shipment(*, session: Session, actor: Actor, shipment_id: int) -> Shipment:
    shipment = session.exec(_visible_shipments(actor).where(Shipment.id == shipment_id)).first()
    if shipment is None:
        raise NotFound()
    return shipment


def shipment_items(session: Session, shipment: Shipment) -> list[tuple[ShipmentItem, Collection]]:
    return list(
        session.exec(
            select(ShipmentItem, Collection)
            .join(Collection, Collection.id == ShipmentItem.collection_id)
            .where(ShipmentItem.shipment_id == shipment.id)
            .order_by(ShipmentItem.box_label, Collection.din)
        ).all()
    )


def discrepancies_of(session: Session, shipment: Shipment) -> list[ShipmentDiscrepancy]:
    return list(
        session.exec(
            select(ShipmentDiscrepancy).where(ShipmentDiscrepancy.shipment_id == shipment.id)
        ).all()
    )


def released_units(*, session: Session, actor: Actor) -> list[Collection]:
    """The actor's station's units released from quarantine and not shipped yet, oldest first."""
    station = require_station(session, actor)
    return list(
        session.exec(
            select(Collection)
            .where(Collection.station_id == station.id, Collection.state == UnitState.RELEASED)
            .order_by(Collection.started_at)
        ).all()
    )


@dataclass(frozen=True)
class ShipmentChoices:
    """What a new shipment may hold, and where it may go."""

    units: list[Collection]
    manufacturers: list[Organisation]


def shipment_choices(*, session: Session, actor: Actor) -> ShipmentChoices:
    return ShipmentChoices(
        units=released_units(session=session, actor=actor), manufacturers=manufacturers(session)
    )
