"""Orders: a hospital orders units of a component and ABO/RhD group from a blood centre, and
the centre chooses which units to send (first to expire first, unless the clerk decides
otherwise)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.accounts.service import organisation_codes
from blood.db import utcnow
from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page
from blood.sequences import next_value
from blood.stock.lifecycle import UnitState
from blood.stock.models import COMPONENTS, GROUPS, Order, OrderLine, Unit
from blood.stock.service.organisations import (
    HOSPITALS,
    acting_hospital,
    blood_centre_by_code,
)

OPEN = ("open", "partial")  # the statuses in which an order may still be fulfilled


@dataclass(frozen=True)
class OrderLineInput:
    component: str
    abo: str
    rhd: str
    quantity: int


def may_order(actor: Actor) -> bool:
    """Whether the actor acts for an organisation that orders blood (a hospital): the
    orders page offers the form on this, and ``create_order`` acts for the same kinds."""
    return actor.organisation_kind in HOSPITALS


def create_order(
    *,
    session: Session,
    actor: Actor,
    centre_code: str,
    urgency: str,
    lines: list[OrderLineInput],
    note: str | None = None,
    needed_by: datetime | None = None,
) -> Order:
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_hospital(session=session, actor=actor)
    errors: dict[str, list[str]] = {}
    centre = blood_centre_by_code(session=session, code=centre_code)
    if centre is None:
        errors["centre"] = [_("Choose a blood centre from the list.")]
    if urgency not in ("routine", "urgent", "emergency"):
        errors["urgency"] = [_("Routine, urgent or emergency.")]
    if not lines:
        errors["lines"] = [_("Order at least one unit.")]
    for index, line in enumerate(lines):
        key = f"lines.{index}"
        if line.component not in COMPONENTS:
            errors[f"{key}.component"] = [_("Unknown component.")]
        if (line.abo, line.rhd) not in GROUPS:
            errors[f"{key}.abo"] = [_("Not an ABO/RhD group.")]
        if line.quantity <= 0:
            errors[f"{key}.quantity"] = [_("Must be more than 0.")]
    if needed_by is not None:
        if needed_by.tzinfo is None:  # as typed in the form: the hospital's local time
            needed_by = needed_by.replace(tzinfo=ZoneInfo(hospital.timezone))
        needed_by = needed_by.astimezone(UTC)
        if needed_by < utcnow() - timedelta(minutes=5):
            errors["needed_by"] = [_("This time has already passed.")]
    if errors:
        raise ValidationFailed(errors)
    order = Order(
        number=f"{hospital.code}-O{next_value(session, f'order:{hospital.id}'):05d}",
        hospital_id=hospital.id,
        centre_id=centre.id,
        urgency=urgency,
        note=(note or "").strip() or None,
        created_by=actor.name,
        needed_by=needed_by,
    )
    session.add(order)
    session.flush()
    for line in lines:
        session.add(
            OrderLine(
                order_id=order.id,
                component=line.component,
                abo=line.abo,
                rhd=line.rhd,
                quantity=line.quantity,
            )
        )
    audit.record(
        session,
        actor,
        "order.create",
        order,
        organisation=hospital,
        changes={"lines": [None, [vars(line) for line in lines]]},
    )
    return order


# --- reading orders --------------------------------------------------------------------------


def _visible_orders(actor: Actor):
    statement = select(Order)
    if actor.is_system:
        return statement
    visible = visible_org_ids(actor)
    return statement.where(sa.or_(Order.hospital_id.in_(visible), Order.centre_id.in_(visible)))


def list_orders(*, session: Session, actor: Actor, page: PageRequest) -> Page[Order]:
    """The orders the actor may see (placed by its hospital, addressed to its centre, or in
    its jurisdiction), newest first, a page at a time."""
    statement = _visible_orders(actor).order_by(Order.created_at.desc(), Order.id.desc())
    return fetch_page(session, statement, page)


URGENCY_RANK = sa.case({"emergency": 0, "urgent": 1, "routine": 2}, value=Order.urgency, else_=3)
# The columns an order list may be sorted by (``?sort=needed``, ``?sort=-created``).
ORDER_SORTS = {
    "number": Order.number,
    "created": Order.created_at,
    "needed": Order.needed_by,
    "urgency": URGENCY_RANK,
    "state": Order.status,
}


@dataclass(frozen=True)
class OrderListQuery:
    """The order list's search (order number), filters and sort; ``organisation`` is the
    other party's code (the hospital, for a centre; the centre, for a hospital)."""

    q: str | None = None
    state: str | None = None
    urgency: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


def order_counterparts(*, session: Session, actor: Actor) -> list[Organisation]:
    """The organisations on the other side of the orders the actor may see (the order list's
    organisation filter): hospitals for a centre, centres for a hospital, both for others."""
    visible = _visible_orders(actor).subquery()
    ids = select(visible.c.hospital_id).union(select(visible.c.centre_id))
    statement = select(Organisation).where(Organisation.id.in_(ids))
    if actor.organisation_id is not None:
        statement = statement.where(Organisation.id != actor.organisation_id)
    return list(session.exec(statement.order_by(Organisation.code)).all())


@dataclass(frozen=True)
class OrderRow:
    """One order of a list, with its parties and lines (loaded for the whole page at once)."""

    order: Order
    hospital: Organisation
    centre: Organisation
    lines: list[OrderLine]


def _filtered_orders(actor: Actor, query: OrderListQuery) -> sa.Select:
    """The orders the actor may see, searched, filtered and sorted as the query asks: one
    rule for the order list page and the API's list."""
    statement = _visible_orders(actor)
    if query.q:
        statement = statement.where(Order.number.contains(query.q.strip().upper(), autoescape=True))
    if query.state:
        statement = statement.where(Order.status == query.state)
    if query.urgency:
        statement = statement.where(Order.urgency == query.urgency)
    if query.organisation:
        party = select(Organisation.id).where(Organisation.code == query.organisation.upper())
        statement = statement.where(
            sa.or_(Order.hospital_id.in_(party), Order.centre_id.in_(party))
        )
    if query.date_from:
        start = datetime.combine(query.date_from, time(), UTC)
        statement = statement.where(Order.created_at >= start)
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Order.created_at < end)
    if (query.sort or "").lstrip("-") == "needed":
        # Orders without a needed-by time come after those with one, either way.
        statement = statement.order_by(Order.needed_by.is_(None))
    return order_by_sort(statement, ORDER_SORTS, query.sort, "-created", Order.id)


def order_list(
    *, session: Session, actor: Actor, query: OrderListQuery, size: int | None = None
) -> Page[OrderRow]:
    """A page of the orders the actor may see, searched, filtered and sorted; the parties and
    lines of the page come in two more queries."""
    statement = _filtered_orders(actor, query)
    request = PageRequest(query.page, size) if size else PageRequest(query.page)
    found = fetch_page(session, statement, request)
    wanted = {i for o in found.items for i in (o.hospital_id, o.centre_id)}
    orgs = (
        {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(wanted)))}
        if wanted
        else {}
    )
    lines = lines_by_order(session=session, orders=found.items)
    rows = [OrderRow(o, orgs[o.hospital_id], orgs[o.centre_id], lines[o.id]) for o in found.items]
    return replace(found, items=rows)


def order_page(
    *, session: Session, actor: Actor, page: PageRequest, query: OrderListQuery | None = None
) -> Page[OrderDetail]:
    """A page of orders as the API shows them (codes and lines batched for the page),
    searched, filtered and sorted as the order list page does (newest first by default)."""
    statement = _filtered_orders(actor, query or OrderListQuery())
    found = fetch_page(session, statement, page)
    return replace(found, items=order_details(session=session, orders=found.items))


def get_order(*, session: Session, actor: Actor, order_id: int) -> Order:
    order = session.exec(_visible_orders(actor).where(Order.id == order_id)).first()
    if order is None:
        raise NotFound()
    return order


def order_lines(*, session: Session, order: Order) -> list[OrderLine]:
    return lines_by_order(session=session, orders=[order])[order.id]


def lines_by_order(*, session: Session, orders: list[Order]) -> dict[int, list[OrderLine]]:
    """The lines of many orders in one query: ``{order id: lines}``."""
    lines: dict[int, list[OrderLine]] = {order.id: [] for order in orders}
    if not lines:
        return lines
    for line in session.exec(
        select(OrderLine)
        .where(OrderLine.order_id.in_(list(lines)))
        .order_by(OrderLine.order_id, OrderLine.id)
    ).all():
        lines[line.order_id].append(line)
    return lines


def order_parties(*, session: Session, order: Order) -> tuple[Organisation, Organisation]:
    """The ordering hospital and the blood centre the order is addressed to."""
    return session.get(Organisation, order.hospital_id), session.get(Organisation, order.centre_id)


@dataclass(frozen=True)
class OrderDetail:
    """An order as the API shows it: with its parties' codes and its lines."""

    id: int
    number: str
    hospital: str
    centre: str
    urgency: str
    status: str
    created_at: datetime
    lines: list[OrderLine]
    needed_by: datetime | None = None


def order_details(*, session: Session, orders: list[Order]) -> list[OrderDetail]:
    """The orders with their parties' codes and lines: two queries for the whole list."""
    codes = organisation_codes(session, [i for o in orders for i in (o.hospital_id, o.centre_id)])
    lines = lines_by_order(session=session, orders=orders)
    return [
        OrderDetail(
            id=o.id,
            number=o.number,
            hospital=codes[o.hospital_id],
            centre=codes[o.centre_id],
            urgency=o.urgency,
            status=o.status,
            created_at=o.created_at,
            lines=lines[o.id],
            needed_by=o.needed_by,
        )
        for o in orders
    ]


def order_detail(*, session: Session, order: Order) -> OrderDetail:
    return order_details(session=session, orders=[order])[0]


# --- choosing the units to send ------------------------------------------------------------


def require_may_fulfil(actor: Actor, order: Order) -> None:
    """Refuse unless the order is addressed to the actor's blood centre and still open."""
    if order.centre_id != actor.organisation_id:
        raise Forbidden()
    if order.status not in OPEN:
        raise Conflict(_l("This order is already fulfilled or cancelled."))


def may_fulfil(actor: Actor, order: Order) -> bool:
    """Whether the actor may send units for the order (the order page offers the choice on
    this; ``fulfil_order`` refuses on the same rule)."""
    try:
        require_may_fulfil(actor, order)
    except (Forbidden, Conflict):
        return False
    return True


def _fefo(session: Session, order: Order) -> dict[int, list[Unit]]:
    now = utcnow()
    suggestion = {}
    for line in order_lines(session=session, order=order):
        missing = line.quantity - line.fulfilled
        if missing <= 0:
            suggestion[line.id] = []
            continue
        suggestion[line.id] = list(
            session.exec(
                select(Unit)
                .where(
                    Unit.owner_id == order.centre_id,
                    Unit.state == UnitState.AVAILABLE,
                    Unit.component == line.component,
                    Unit.abo == line.abo,
                    Unit.rhd == line.rhd,
                    Unit.expires_at > now,
                )
                .order_by(Unit.expires_at, Unit.id)
                .limit(missing)
            ).all()
        )
    return suggestion


def fefo_suggestion(*, session: Session, actor: Actor, order_id: int) -> dict[int, list[Unit]]:
    """For each order line, the centre's available units of that component and group, first
    to expire first (expired ones excluded). The clerk may pick others."""
    return _fefo(session, get_order(session=session, actor=actor, order_id=order_id))


def candidate_units(*, session: Session, order: Order) -> list[Unit]:
    """Every unit the centre could send for the order's open lines (the clerk's choice)."""
    wanted = [
        sa.and_(Unit.component == ln.component, Unit.abo == ln.abo, Unit.rhd == ln.rhd)
        for ln in order_lines(session=session, order=order)
        if ln.fulfilled < ln.quantity
    ]
    if not wanted:
        return []
    return list(
        session.exec(
            select(Unit)
            .where(
                Unit.owner_id == order.centre_id,
                Unit.state == UnitState.AVAILABLE,
                Unit.expires_at > utcnow(),
                sa.or_(*wanted),
            )
            .order_by(Unit.component, Unit.abo, Unit.rhd, Unit.expires_at)
        ).all()
    )


@dataclass(frozen=True)
class FulfilmentChoice:
    """What the order page offers the centre's clerk: the units that could be sent, and
    which of them first-to-expire-first suggests."""

    units: list[Unit] = field(default_factory=list)
    suggested: set[int] = field(default_factory=set)


def fulfilment_choice(*, session: Session, actor: Actor, order: Order) -> FulfilmentChoice:
    """The choice of units for the order, or nothing when the actor may not fulfil it."""
    if not may_fulfil(actor, order):
        return FulfilmentChoice()
    suggestion = _fefo(session, order)
    return FulfilmentChoice(
        units=candidate_units(session=session, order=order),
        suggested={u.id for units in suggestion.values() for u in units},
    )
