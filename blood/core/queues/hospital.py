"""A hospital's queues: units about to expire in its stock, its open orders."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.scoping import Actor
from blood.core.queues.common import (
    FIRST_ROWS,
    ORDER_STATE_WORDS,
    Queue,
    Row,
    count,
    expiring,
)
from blood.stock.models import Order, Unit
from blood.stock.service.units import ON_HAND


def hospital_queues(session: Session, actor: Actor) -> list[Queue]:
    queues = [expiring(session, actor)]
    on_hand = (
        select(Unit)
        .where(Unit.owner_id == actor.organisation_id, Unit.state.in_([s.value for s in ON_HAND]))
        .order_by(Unit.expires_at, Unit.id)
    )
    first = session.exec(on_hand.limit(FIRST_ROWS)).all()
    rows = tuple(Row(f"{u.din} · {u.expires_at:%Y-%m-%d %H:%M}") for u in first)
    queues.append(
        Queue(
            "on_hand",
            str(_l("Units on hand")),
            count(session, on_hand),
            "stock.units",
            rows,
        )
    )
    states = session.exec(
        select(Order.status, sa.func.count())
        .where(Order.hospital_id == actor.organisation_id)
        .group_by(Order.status)
    ).all()
    rows = tuple(
        Row(f"{ORDER_STATE_WORDS.get(status, status)}: {n}", "stock.orders")
        for status, n in sorted(states)
    )
    queues.append(
        Queue("my_orders", str(_l("Our orders")), sum(n for _, n in states), "stock.orders", rows)
    )
    return queues
