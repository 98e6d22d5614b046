"""Expiry: the daily job that marks units past their expiry, and the list of units about to
expire."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock.lifecycle import Action, allowed_from
from blood.stock.models import Unit
from blood.stock.service.organisations import acting_holder
from blood.stock.service.units import ON_HAND, TransitionRefused, transition


def expire_units(session: Session, *, now: datetime | None = None) -> int:
    """Mark every live unit past its expiry as expired. Idempotent: run it as often as you
    like (the daily job does; so does ``flask --app app blood expire-units``)."""
    now = now or utcnow()
    due = session.exec(
        select(Unit).where(
            Unit.expires_at <= now, Unit.state.in_([s.value for s in allowed_from(Action.EXPIRE)])
        )
    ).all()
    system = Actor.system("expiry")
    count = 0
    for unit in due:
        holder = session.get(Organisation, unit.owner_id)
        try:
            transition(
                session=session,
                actor=system,
                unit=unit,
                action=Action.EXPIRE,
                holder=holder,
                now=now,
            )
        except TransitionRefused:
            continue  # changed meanwhile by someone else: nothing to do
        count += 1
    return count


def _near_expiry(session: Session, actor: Actor, within_hours: int):
    now = utcnow()
    org = acting_holder(session=session, actor=actor)
    return (
        select(Unit)
        .where(
            Unit.owner_id == org.id,
            Unit.state.in_([s.value for s in ON_HAND]),
            Unit.expires_at > now,
            Unit.expires_at <= now + timedelta(hours=within_hours),
        )
        .order_by(Unit.expires_at, Unit.id)
    )


def near_expiry(*, session: Session, actor: Actor, within_hours: int = 72) -> list[Unit]:
    """The units on hand at the actor's blood centre or hospital that expire within the
    next `within_hours`, first to expire first."""
    return list(session.exec(_near_expiry(session, actor, within_hours)).all())


def near_expiry_page(
    *, session: Session, actor: Actor, page: PageRequest, within_hours: int = 72
) -> Page[Unit]:
    """``near_expiry`` a page at a time (the stock page: a centre's platelets alone can be
    hundreds of units within three days)."""
    return fetch_page(session, _near_expiry(session, actor, within_hours), page)
