"""Arranging blood-centre stock through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from blood.donors import rules
from blood.stock import service as stock
from blood.stock.models import Unit
from tests.conftest import make_resident_id
from tests.helpers import as_user, register

WELL = rules.Screening(weight_kg=65, systolic=120, diastolic=78, pulse=70, hb_g_l=140)


def donation(session, world, serial=301, abo="O", rhd="+", kind="whole_blood", volume=400):
    register(session, world, serial=serial, username="bc.collector", abo=abo, rhd=rhd)
    return stock.record_blood_donation(
        session=session,
        actor=as_user(session, world, "bc.collector"),
        data=stock.BloodDonationInput(
            donor=make_resident_id(serial=serial), kind=kind, volume_ml=volume, screening=WELL
        ),
    )


def units_in_stock(
    session, world, n=1, abo="O", rhd="+", product="E0001", first_serial=301, released=True
):
    """n red-cell (by default) units, released for use at BC."""
    made = []
    for i in range(n):
        d = donation(session, world, serial=first_serial + 2 * i, abo=abo, rhd=rhd)
        made += stock.produce_components(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            donation_id=d.id,
            components=[stock.ComponentInput(product_code=product, volume_ml=280)],
        )
    if released:
        stock.release_tested(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            unit_ids=[u.id for u in made],
        )
    return made


def age(session, unit, *, hours: int):
    """Move a unit's collection and expiry into the past (the services act on now)."""
    session.execute(
        sa.update(Unit)
        .where(Unit.id == unit.id)
        .values(
            collected_at=unit.collected_at - timedelta(hours=hours),
            expires_at=unit.expires_at - timedelta(hours=hours),
        )
    )
    session.refresh(unit)


def now():
    return datetime.now(UTC)
