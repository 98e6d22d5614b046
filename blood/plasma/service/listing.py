"""The station's lists: visits and plasma units, searched, filtered, sorted and paged within
the actor's scope (``restrict_to_visible``); the donors of a page come in the same query."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.scoping import Actor, restrict_to_visible
from blood.donors.models import Donor
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page
from blood.plasma.models import Collection, Visit

VISIT_SORTS = {
    "date": Visit.visit_date,
    "state": Visit.status,
    "card": Donor.card_number,
    "name": Donor.name,
}
PLASMA_UNIT_SORTS = {
    "din": Collection.din,
    "collected": Collection.started_at,
    "weight": Collection.total_weight_g,
    "group": Collection.abo,
    "state": Collection.state,
}


@dataclass(frozen=True)
class StationListQuery:
    """A station list's search, state, group, date range, sort and page."""

    q: str | None = None
    state: str | None = None
    group: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ListedVisit:
    visit: Visit
    donor: Donor


@dataclass(frozen=True)
class ListedUnit:
    unit: Collection
    donor: Donor


def _page(query: StationListQuery, size: int | None) -> PageRequest:
    return PageRequest(query.page, size) if size else PageRequest(query.page)


def _donor_search(text: str) -> sa.ColumnElement:
    text = text.strip()
    return sa.or_(Donor.card_number == text.upper(), Donor.name.contains(text, autoescape=True))


def visit_list(
    *, session: Session, actor: Actor, query: StationListQuery, size: int | None = None
) -> Page[ListedVisit]:
    """Visits at the stations the actor may see: by donor card number or name, state and
    visit dates."""
    statement = restrict_to_visible(
        select(Visit, Donor).join(Donor, Donor.id == Visit.donor_id), Visit.station_id, actor
    )
    if query.q:
        statement = statement.where(_donor_search(query.q))
    if query.state:
        statement = statement.where(Visit.status == query.state)
    if query.date_from:
        statement = statement.where(Visit.visit_date >= query.date_from)
    if query.date_to:
        statement = statement.where(Visit.visit_date <= query.date_to)
    statement = order_by_sort(statement, VISIT_SORTS, query.sort, "-date", Visit.id)
    found = fetch_page(session, statement, _page(query, size))
    return replace(found, items=[ListedVisit(v, d) for v, d in found.items])


def plasma_unit_list(
    *, session: Session, actor: Actor, query: StationListQuery, size: int | None = None
) -> Page[ListedUnit]:
    """Plasma units collected at the stations the actor may see: by DIN, donor card number
    or name; state, group and collection dates."""
    statement = restrict_to_visible(
        select(Collection, Donor).join(Donor, Donor.id == Collection.donor_id),
        Collection.station_id,
        actor,
    )
    if query.q:
        din = query.q.strip().upper().lstrip("=")
        statement = statement.where(
            sa.or_(Collection.din.contains(din, autoescape=True), _donor_search(query.q))
        )
    if query.state:
        statement = statement.where(Collection.state == query.state)
    if query.group:
        statement = statement.where(
            Collection.abo == query.group[:-1], Collection.rhd == query.group[-1]
        )
    if query.date_from:
        start = datetime.combine(query.date_from, time(), UTC)
        statement = statement.where(Collection.started_at >= start)
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Collection.started_at < end)
    statement = order_by_sort(statement, PLASMA_UNIT_SORTS, query.sort, "-collected", Collection.id)
    found = fetch_page(session, statement, _page(query, size))
    return replace(found, items=[ListedUnit(u, d) for u, d in found.items])
