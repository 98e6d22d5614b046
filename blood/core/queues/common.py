"""What every queue is made of, and the reads two kinds of organisation share (units about to
expire, the local day, the words of urgencies and order states)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.donors import service as donors
from blood.stock.models import Order, Unit
from blood.stock.service.units import ON_HAND

FIRST_ROWS = 5
TOKEN_IDLE_DAYS = 90
EXPIRY_HOURS = 72


@dataclass(frozen=True)
class Row:
    text: str
    endpoint: str | None = None
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Queue:
    """One queue: its title, how many are waiting, the page that works it, the first rows."""

    key: str
    title: str
    count: int
    endpoint: str | None
    rows: tuple[Row, ...] = ()


def count(session: Session, statement) -> int:
    return session.exec(select(sa.func.count()).select_from(statement.subquery())).one()


def expiring(session: Session, actor: Actor) -> Queue:
    now = utcnow()
    statement = (
        select(Unit)
        .where(
            Unit.owner_id == actor.organisation_id,
            Unit.state.in_([s.value for s in ON_HAND]),
            Unit.expires_at > now,
            Unit.expires_at <= now + timedelta(hours=EXPIRY_HOURS),
        )
        .order_by(Unit.expires_at, Unit.id)
    )
    first = session.exec(statement.limit(FIRST_ROWS)).all()
    rows = tuple(
        Row(f"{u.din} · {u.expires_at:%Y-%m-%d %H:%M}", "stock.unit_label", {"unit_id": u.id})
        for u in first
    )
    return Queue(
        "expiring",
        str(_l("Units expiring within 72 hours")),
        count(session, statement),
        "stock.units",
        rows,
    )


URGENCY_ORDER = sa.case((Order.urgency == "emergency", 0), (Order.urgency == "urgent", 1), else_=2)
URGENCY_WORDS = {"emergency": _l("Emergency"), "urgent": _l("Urgent"), "routine": _l("Routine")}
ORDER_STATE_WORDS = {
    "open": _l("Not yet filled"),
    "partial": _l("Partly filled"),
    "fulfilled": _l("Fulfilled"),
    "cancelled": _l("Cancelled"),
}


def local_day(org: Organisation) -> tuple[datetime, datetime]:
    """Today in the organisation's time zone, as the UTC instants that bound it."""
    zone = ZoneInfo(org.timezone)
    start = datetime.combine(donors.local_today(org), time.min, tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)
