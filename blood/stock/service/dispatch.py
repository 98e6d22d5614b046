"""Dispatches: units on their way, as an issue from a blood centre against an order or as a
transfer between hospitals, and their receipt by the receiving hospital."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.accounts.service import organisation_codes
from blood.errors import NotFound, ValidationFailed
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page
from blood.sequences import next_value
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import Dispatch, DispatchItem, Order, Unit
from blood.stock.service.orders import get_order, order_lines, require_may_fulfil
from blood.stock.service.organisations import (
    acting_centre,
    acting_hospital,
    hospital_by_code,
)
from blood.stock.service.units import STATE_WORDS, transition


def _dispatch(
    session: Session,
    actor: Actor,
    units: list[Unit],
    *,
    source: Organisation,
    destination: Organisation,
    kind: str,
    order: Order | None = None,
) -> Dispatch:
    dispatch = Dispatch(
        number=f"{source.code}-D{next_value(session, f'dispatch:{source.id}'):05d}",
        kind=kind,
        from_id=source.id,
        to_id=destination.id,
        order_id=order.id if order else None,
        dispatched_by=actor.name,
    )
    session.add(dispatch)
    session.flush()
    for unit in units:
        transition(
            session=session,
            actor=actor,
            unit=unit,
            action=Action.ISSUE,
            holder=source,
            new_owner=destination,
        )
        session.add(DispatchItem(dispatch_id=dispatch.id, unit_id=unit.id))
    audit.record(
        session,
        actor,
        f"dispatch.{kind}",
        dispatch,
        organisation=source,
        changes={"units": [None, [u.label for u in units]], "to": [None, destination.code]},
    )
    return dispatch


def fulfil_order(*, session: Session, actor: Actor, order_id: int, unit_ids: list[int]) -> Dispatch:
    """Issue the chosen units against the order: each must match an open line's component
    and exact ABO/RhD group, be released (available) at this centre and not expired."""
    require_role(actor, Role.STOCK_CLERK)
    centre = acting_centre(session=session, actor=actor)
    order = get_order(session=session, actor=actor, order_id=order_id)
    require_may_fulfil(actor, order)
    if not unit_ids or len(set(unit_ids)) != len(unit_ids):
        raise ValidationFailed({"units": [_("Choose each unit once, at least one.")]})
    units = session.exec(select(Unit).where(Unit.id.in_(unit_ids))).all()
    if len(units) != len(unit_ids) or any(u.owner_id != centre.id for u in units):
        raise ValidationFailed({"units": [_("Some units are not in this centre's stock.")]})
    lines = order_lines(session=session, order=order)
    open_counts = {line.id: line.quantity - line.fulfilled for line in lines}
    errors: list[str] = []
    for unit in units:
        if unit.state not in (UnitState.AVAILABLE, UnitState.RESERVED):
            errors.append(
                _(
                    "%(unit)s is %(state)s: only released units are issued.",
                    unit=unit.label,
                    state=STATE_WORDS[UnitState(unit.state)],
                )
            )
            continue
        line = next(
            (
                ln
                for ln in lines
                if (ln.component, ln.abo, ln.rhd) == (unit.component, unit.abo, unit.rhd)
                and open_counts[ln.id] > 0
            ),
            None,
        )
        if line is None:
            errors.append(_("%(unit)s matches no open line of the order.", unit=unit.label))
            continue
        open_counts[line.id] -= 1
        line.fulfilled += 1
    if errors:
        raise ValidationFailed({"units": errors})
    hospital = session.get(Organisation, order.hospital_id)
    dispatch = _dispatch(
        session, actor, list(units), source=centre, destination=hospital, kind="issue", order=order
    )
    order.status = "fulfilled" if all(ln.fulfilled >= ln.quantity for ln in lines) else "partial"
    return dispatch


def transfer_units(*, session: Session, actor: Actor, to_code: str, units: list[Unit]) -> Dispatch:
    """Hospital to hospital: the same dispatch and receipt as an issue."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_hospital(session=session, actor=actor)
    destination = hospital_by_code(session=session, code=to_code)
    if destination is None or destination.id == hospital.id:
        raise ValidationFailed({"to": [_("Choose another hospital.")]})
    if not units:
        raise ValidationFailed({"units": [_("Choose at least one unit.")]})
    return _dispatch(
        session, actor, units, source=hospital, destination=destination, kind="transfer"
    )


# --- reading dispatches ----------------------------------------------------------------------


def _visible_dispatches(actor: Actor):
    statement = select(Dispatch)
    if actor.is_system:
        return statement
    visible = visible_org_ids(actor)
    return statement.where(sa.or_(Dispatch.from_id.in_(visible), Dispatch.to_id.in_(visible)))


def get_dispatch(
    *, session: Session, actor: Actor, dispatch_id: int | None = None, number: str | None = None
) -> Dispatch:
    statement = _visible_dispatches(actor)
    statement = (
        statement.where(Dispatch.id == dispatch_id)
        if dispatch_id is not None
        else statement.where(Dispatch.number == (number or "").strip().upper())
    )
    dispatch = session.exec(statement).first()
    if dispatch is None:
        raise NotFound()
    return dispatch


def list_dispatches(*, session: Session, actor: Actor, page: PageRequest) -> Page[Dispatch]:
    """Dispatches sent by or to the actor's organisation (or in its jurisdiction), newest
    first, a page at a time."""
    statement = _visible_dispatches(actor).order_by(
        Dispatch.dispatched_at.desc(), Dispatch.id.desc()
    )
    return fetch_page(session, statement, page)


@dataclass(frozen=True)
class DispatchListQuery:
    """The dispatch list's search (number), state, kind, the other party's code, dispatch
    dates, sort and page."""

    q: str | None = None
    state: str | None = None
    kind: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


@dataclass(frozen=True)
class DispatchRow:
    dispatch: Dispatch
    sender: Organisation
    receiver: Organisation
    units: int


_DISPATCH_UNITS = (
    select(sa.func.count(DispatchItem.id))
    .where(DispatchItem.dispatch_id == Dispatch.id)
    .correlate(Dispatch)
    .scalar_subquery()
)
# The columns a dispatch list may be sorted by (``?sort=-dispatched``).
DISPATCH_SORTS = {
    "number": Dispatch.number,
    "dispatched": Dispatch.dispatched_at,
    "received": Dispatch.received_at,
    "units": _DISPATCH_UNITS,
    "state": Dispatch.status,
}


def _dispatch_filters(statement: sa.Select, query: DispatchListQuery) -> sa.Select:
    """The dispatch list's search and filters: one rule for the page and the API's list."""
    if query.q:
        statement = statement.where(
            Dispatch.number.contains(query.q.strip().upper(), autoescape=True)
        )
    if query.state:
        statement = statement.where(Dispatch.status == query.state)
    if query.kind:
        statement = statement.where(Dispatch.kind == query.kind)
    if query.organisation:
        party = select(Organisation.id).where(Organisation.code == query.organisation.upper())
        statement = statement.where(sa.or_(Dispatch.from_id.in_(party), Dispatch.to_id.in_(party)))
    if query.date_from:
        start = datetime.combine(query.date_from, time(), UTC)
        statement = statement.where(Dispatch.dispatched_at >= start)
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Dispatch.dispatched_at < end)
    return statement


def dispatch_list(
    *, session: Session, actor: Actor, query: DispatchListQuery, size: int | None = None
) -> Page[DispatchRow]:
    """A page of the dispatches the actor may see, searched, filtered and sorted, with both
    parties loaded for the page in one query and the units counted by the database."""
    statement = select(Dispatch, _DISPATCH_UNITS).where(
        Dispatch.id.in_(select(_visible_dispatches(actor).subquery().c.id))
    )
    statement = _dispatch_filters(statement, query)
    statement = order_by_sort(statement, DISPATCH_SORTS, query.sort, "-dispatched", Dispatch.id)
    request = PageRequest(query.page, size) if size else PageRequest(query.page)
    found = fetch_page(session, statement, request)
    ids = {i for row in found.items for i in (row[0].from_id, row[0].to_id)}
    orgs = (
        {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {}
    )
    rows = [
        DispatchRow(dispatch=d, sender=orgs[d.from_id], receiver=orgs[d.to_id], units=int(n))
        for d, n in found.items
    ]
    return replace(found, items=rows)


def dispatch_counterparts(*, session: Session, actor: Actor) -> list[Organisation]:
    """The organisations on the other side of the dispatches the actor may see."""
    visible = _visible_dispatches(actor).subquery()
    ids = select(visible.c.from_id).union(select(visible.c.to_id))
    statement = select(Organisation).where(Organisation.id.in_(ids))
    if actor.organisation_id is not None:
        statement = statement.where(Organisation.id != actor.organisation_id)
    return list(session.exec(statement.order_by(Organisation.code)).all())


def dispatch_page(
    *, session: Session, actor: Actor, page: PageRequest, query: DispatchListQuery | None = None
) -> Page[DispatchDetail]:
    """A page of dispatches as the API shows them (three queries for the page), searched,
    filtered and sorted as the dispatch list page does (newest first by default)."""
    query = query or DispatchListQuery()
    statement = _dispatch_filters(_visible_dispatches(actor), query)
    statement = order_by_sort(statement, DISPATCH_SORTS, query.sort, "-dispatched", Dispatch.id)
    found = fetch_page(session, statement, page)
    return replace(found, items=dispatch_details(session=session, dispatches=found.items))


def _items_by_dispatch(
    session: Session, dispatches: list[Dispatch]
) -> dict[int, list[tuple[DispatchItem, Unit]]]:
    """The items and units of many dispatches in one query, each dispatch's by DIN."""
    items: dict[int, list[tuple[DispatchItem, Unit]]] = {d.id: [] for d in dispatches}
    if not items:
        return items
    for item, unit in session.exec(
        select(DispatchItem, Unit)
        .join(Unit, Unit.id == DispatchItem.unit_id)
        .where(DispatchItem.dispatch_id.in_(list(items)))
        .order_by(Unit.din)
    ).all():
        items[item.dispatch_id].append((item, unit))
    return items


def dispatch_units(*, session: Session, dispatch: Dispatch) -> list[tuple[DispatchItem, Unit]]:
    return _items_by_dispatch(session, [dispatch])[dispatch.id]


def dispatch_parties(*, session: Session, dispatch: Dispatch) -> tuple[Organisation, Organisation]:
    """The sending and the receiving organisation."""
    return session.get(Organisation, dispatch.from_id), session.get(Organisation, dispatch.to_id)


@dataclass(frozen=True)
class DispatchDetail:
    """A dispatch as the API shows it: its parties' codes, its order's number, its units."""

    id: int
    number: str
    kind: str
    source: str
    destination: str
    order: str | None
    status: str
    dispatched_at: datetime
    received_at: datetime | None
    units: list[Unit]


def dispatch_details(*, session: Session, dispatches: list[Dispatch]) -> list[DispatchDetail]:
    """The dispatches with their parties' codes, order numbers and units: three queries for
    the whole list."""
    codes = organisation_codes(session, [i for d in dispatches for i in (d.from_id, d.to_id)])
    order_ids = {d.order_id for d in dispatches if d.order_id is not None}
    numbers = (
        dict(session.exec(select(Order.id, Order.number).where(Order.id.in_(order_ids))).all())
        if order_ids
        else {}
    )
    items = _items_by_dispatch(session, dispatches)
    return [
        DispatchDetail(
            id=d.id,
            number=d.number,
            kind=d.kind,
            source=codes[d.from_id],
            destination=codes[d.to_id],
            order=numbers.get(d.order_id),
            status=d.status,
            dispatched_at=d.dispatched_at,
            received_at=d.received_at,
            units=[unit for _item, unit in items[d.id]],
        )
        for d in dispatches
    ]


def dispatch_detail(*, session: Session, dispatch: Dispatch) -> DispatchDetail:
    return dispatch_details(session=session, dispatches=[dispatch])[0]
