"""Arranging blood-centre and hospital stock through the services."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from blood import settings
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user, create_user
from blood.donors import rules
from blood.stock import service as stock
from blood.stock.lifecycle import Action
from blood.stock.models import Unit, UnitMovement
from tests.conftest import PASSWORD, csrf_token_of, make_resident_id
from tests.helpers import as_user, register

WELL = rules.Screening(weight_kg=65, systolic=120, diastolic=78, pulse=70, hb_g_l=140)
# Every default marker negative, ALT within its limit.
NEGATIVE = {
    "alt": 18.0,
    "hbsag": "negative",
    "anti_hcv": "negative",
    "anti_hiv": "negative",
    "syphilis": "negative",
    "nat": "negative",
}


def staff(session, world, username: str, *roles: Role, org: str = "BC"):
    """A user of the world made on first use (the shared world has no BC laboratory), as an
    actor."""
    if username not in world.users:
        world.users[username] = create_user(
            session=session,
            actor=Actor.system("tests"),
            organisation=world.org(org),
            username=username,
            display_name=username,
            password=PASSWORD,
            roles=[r.value for r in roles],
            locale="en",
        )
    return actor_for_user(session, world.users[username])


def lab(session, world):
    """BC's laboratory technician."""
    return staff(session, world, "bc.lab", Role.LAB)


def quality(session, world):
    """BC's quality manager (and nothing else)."""
    return staff(session, world, "bc.quality", Role.QUALITY)


def test_results(session, world, collected, abo=None, rhd=None, **results):
    """BC's laboratory enters the group (the donation's by default) and the markers (every
    one negative by default; `results` overrides, None leaves a marker out)."""
    values = {**NEGATIVE, **results}
    return stock.record_lab_results(
        session=session,
        actor=lab(session, world),
        results=[
            stock.LabInput(
                din=collected.din,
                abo=abo or collected.abo,
                rhd=rhd or collected.rhd,
                results={k: v for k, v in values.items() if v is not None},
            )
        ],
    )


test_results.__test__ = False  # a helper, not a test


def collect(session, world, serial=301, kind="whole_blood", volume=400, deviation_reason=None):
    """A collection at BC by its collector, from a donor registered already."""
    return stock.record_blood_donation(
        session=session,
        actor=as_user(session, world, "bc.collector"),
        data=stock.BloodDonationInput(
            donor=make_resident_id(serial=serial),
            kind=kind,
            volume_ml=volume,
            screening=WELL,
            deviation_reason=deviation_reason,
        ),
    )


def use_settings(session, **figures):
    """The session's settings with these figures changed (what a deployment configures)."""
    session.info[settings.INFO_KEY] = dataclasses.replace(settings.of(session), **figures)


def donation(session, world, serial=301, abo="O", rhd="+", kind="whole_blood", volume=400):
    """A donor registered at BC, and their collection there."""
    register(session, world, serial=serial, username="bc.collector", abo=abo, rhd=rhd)
    return collect(session, world, serial=serial, kind=kind, volume=volume)


def produce(session, world, collected, *components):
    """BC's clerk splits the donation into these components."""
    return stock.produce_components(
        session=session,
        actor=as_user(session, world, "bc.clerk"),
        donation_id=collected.id,
        components=list(components),
    )


def units_in_stock(
    session, world, n=1, abo="O", rhd="+", product="E0001", first_serial=301, released=True
):
    """n red-cell (by default) units, released for use at BC."""
    made = []
    for i in range(n):
        d = donation(session, world, serial=first_serial + 2 * i, abo=abo, rhd=rhd)
        made += produce(
            session, world, d, stock.ComponentInput(product_code=product, volume_ml=280)
        )
        if released:
            test_results(session, world, d)
    if released:
        stock.release_tested(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            unit_ids=[u.id for u in made],
        )
    return made


def order(session, world, quantity=2, abo="O", rhd="+", component="red_cells", urgency="urgent"):
    """H-HZ orders units of one component and group from BC."""
    return stock.create_order(
        session=session,
        actor=as_user(session, world, "hhz.officer"),
        centre_code="BC",
        urgency=urgency,
        lines=[stock.OrderLineInput(component, abo, rhd, quantity)],
    )


def fulfil(session, world, placed, units):
    """BC's clerk sends these units for the order."""
    return stock.fulfil_order(
        session=session,
        actor=as_user(session, world, "bc.clerk"),
        order_id=placed.id,
        unit_ids=[u.id for u in units],
    )


def received(session, world, n=1):
    """n units ordered by H-HZ, sent by BC and received in range at H-HZ."""
    units = units_in_stock(session, world, n)
    dispatch = fulfil(session, world, order(session, world, quantity=n), units)
    stock.confirm_receipt(
        session=session,
        actor=as_user(session, world, "hhz.officer"),
        dispatch_id=dispatch.id,
        lines=[stock.ReceiptLine(u.din, u.product_code, True) for u in units],
    )
    return units


def act(session, world, unit, action, *, by="hhz.officer", reason=None):
    """What became of a unit, recorded by `by`. A transfusion is moved by the state machine
    directly, as the clinical record does (``blood.clinical``), without a patient here."""
    actor = as_user(session, world, by)
    if action == Action.TRANSFUSE:
        holder = stock.acting_hospital(session=session, actor=actor)
        return stock.transition(
            session=session, actor=actor, unit=unit, action=action, holder=holder
        )
    return stock.hospital_action(
        session=session, actor=actor, unit=unit, action=action, reason=reason
    )


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


def add_usage(
    session, world, org_code, action, count, component="red_cells", abo="O", rhd="+", days_ago=3
):
    """`count` movements of `action` by the organisation, `days_ago` days ago (and the daily
    usage they count for)."""
    unit = session.exec(select(Unit)).first()
    organisation = world.org(org_code)
    for _ in range(count):
        movement = UnitMovement(
            unit_id=unit.id,
            action=action,
            from_state="x",
            to_state="y",
            organisation_id=organisation.id,
            component=component,
            abo=abo,
            rhd=rhd,
            at=now() - timedelta(days=days_ago),
        )
        session.add(movement)
        # Written here, not by ``transition``: counted in the daily usage as it would.
        stock.count_movement(session=session, movement=movement, organisation=organisation)
    session.flush()


def level(levels, component="red_cells", group="O+"):
    return next(lv for lv in levels if lv.component == component and lv.group == group)


def now():
    return datetime.now(UTC)


def logout(client):
    client.post(
        "/logout", data={"csrf_token": csrf_token_of(client.get("/").get_data(as_text=True))}
    )


def decide(session, world, collected, decision, note="checked with the collector"):
    """BC's quality manager accepts or rejects the donation's deviation."""
    return stock.decide_deviation(
        session=session,
        actor=quality(session, world),
        donation_id=collected.id,
        decision=decision,
        note=note,
    )


def release(session, world, units, by="bc.collector"):
    """BC releases these units (bc.collector is a quality manager in the shared world)."""
    return stock.release_tested(
        session=session, actor=as_user(session, world, by), unit_ids=[u.id for u in units]
    )
