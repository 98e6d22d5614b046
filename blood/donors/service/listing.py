"""The donor list: search by card number, resident ID, phone or name, within the actor's
scope. Resident IDs and phone numbers are stored as keyed hashes (``blood.pii``): they are
found by the keyed hash of the normalised value, never by decrypting anything."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import pii, settings
from blood.accounts.scoping import Actor, restrict_to_visible
from blood.donors.models import Deferral, Donor
from blood.donors.service.registry import PHONE_RE, RESIDENT_ID_RE, resident_id_key
from blood.listing import order_by_sort
from blood.pagination import Page, PageRequest, fetch_page

# The columns a donor list may be sorted by (``?sort=name``, ``?sort=-registered``).
DONOR_SORTS = {
    "card": Donor.card_number,
    "name": Donor.name,
    "registered": Donor.registered_at,
}


@dataclass(frozen=True)
class DonorListQuery:
    q: str | None = None
    abo: str | None = None
    rhd: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


def _search(session: Session, text: str) -> sa.ColumnElement:
    """Card number or name, and the keyed look-ups the text may be: a resident ID, a phone."""
    key = pii.normalise(text)
    found: list[sa.ColumnElement] = [
        Donor.card_number == text.strip().upper(),
        Donor.name.contains(text.strip(), autoescape=True),
    ]
    if RESIDENT_ID_RE.match(key):
        found.append(Donor.resident_id_key == resident_id_key(session, key))
    if PHONE_RE.match(key):
        phone_key = settings.of(session).vault.lookup_key(key, purpose="phone")
        found.append(Donor.phone_key == phone_key)
    return sa.or_(*found)


def list_donors(
    *, session: Session, actor: Actor, query: DonorListQuery, size: int | None = None
) -> Page[Donor]:
    """One page of the donors registered at organisations the actor may see."""
    statement = restrict_to_visible(select(Donor), Donor.station_id, actor)
    if query.q:
        statement = statement.where(_search(session, query.q))
    if query.abo:
        statement = statement.where(Donor.abo == query.abo)
    if query.rhd:
        statement = statement.where(Donor.rhd == query.rhd)
    if query.date_from:
        statement = statement.where(
            Donor.registered_at >= datetime.combine(query.date_from, time(), UTC)
        )
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        statement = statement.where(Donor.registered_at < end)
    statement = order_by_sort(statement, DONOR_SORTS, query.sort, "-registered", Donor.id)
    request = PageRequest(query.page, size) if size else PageRequest(query.page)
    return fetch_page(session, statement, request)


# The columns a deferral list may be sorted by.
DEFERRAL_SORTS = {
    "starts": Deferral.starts_on,
    "ends": Deferral.ends_on,
    "reason": Deferral.reason_code,
    "card": Donor.card_number,
}


@dataclass(frozen=True)
class DeferralListQuery:
    """The deferral list's search (card number or name), state (``active``, ``ended``,
    ``lifted``, ``permanent``), reason, start dates, sort and page."""

    q: str | None = None
    state: str | None = None
    reason: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    sort: str | None = None
    page: int = 1


@dataclass(frozen=True)
class ListedDeferral:
    deferral: Deferral
    donor: Donor


def list_deferrals(
    *,
    session: Session,
    actor: Actor,
    query: DeferralListQuery,
    today: date,
    size: int | None = None,
) -> Page[ListedDeferral]:
    """Deferrals recorded at the organisations the actor may see, with their donors (one
    query for the page)."""
    statement = restrict_to_visible(
        select(Deferral, Donor).join(Donor, Donor.id == Deferral.donor_id),
        Deferral.station_id,
        actor,
    )
    if query.q:
        text = query.q.strip()
        statement = statement.where(
            sa.or_(Donor.card_number == text.upper(), Donor.name.contains(text, autoescape=True))
        )
    if query.state == "permanent":
        statement = statement.where(Deferral.permanent, Deferral.lifted_at.is_(None))
    elif query.state == "lifted":
        statement = statement.where(Deferral.lifted_at.is_not(None))
    elif query.state == "active":
        statement = statement.where(
            Deferral.lifted_at.is_(None),
            sa.or_(
                Deferral.permanent,
                sa.and_(Deferral.starts_on <= today, Deferral.ends_on > today),
            ),
        )
    elif query.state == "ended":
        statement = statement.where(
            Deferral.lifted_at.is_(None), sa.not_(Deferral.permanent), Deferral.ends_on <= today
        )
    if query.reason:
        statement = statement.where(Deferral.reason_code == query.reason)
    if query.date_from:
        statement = statement.where(Deferral.starts_on >= query.date_from)
    if query.date_to:
        statement = statement.where(Deferral.starts_on <= query.date_to)
    statement = order_by_sort(statement, DEFERRAL_SORTS, query.sort, "-starts", Deferral.id)
    request = PageRequest(query.page, size) if size else PageRequest(query.page)
    found = fetch_page(session, statement, request)
    return replace(found, items=[ListedDeferral(d, p) for d, p in found.items])
