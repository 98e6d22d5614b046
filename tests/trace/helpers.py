"""A donor's history over months, written as the services leave it: plasma collections at
S-CA (tested, shipped to MF), whole-blood donations at BC split into components, issued to
two hospitals and received there; and the later reactive result."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from blood import isbt128
from blood.accounts.scoping import Actor
from blood.donors import service as donors
from blood.plasma.models import Collection, LabResult, Shipment, ShipmentItem, Visit
from blood.stock.lifecycle import Action
from blood.stock.models import BloodDonation, BloodTestResult, Unit
from blood.stock.service.transitions import transition
from tests.helpers import register

_serial = itertools.count(1)
NEGATIVE = {
    "hbsag": "negative",
    "anti_hcv": "negative",
    "anti_hiv": "negative",
    "syphilis": "negative",
}


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def plasma_donation(session, world, donor, at, *, state="released", results=NEGATIVE):
    station = world.org("S-CA")
    din = isbt128.make_din("P3301", at.year, 700_000 + next(_serial))
    visit = Visit(
        donor_id=donor.id,
        station_id=station.id,
        visit_date=at.date(),
        status="collected",
        checked_in_at=at,
    )
    session.add(visit)
    session.flush()
    collection = Collection(
        visit_id=visit.id,
        donor_id=donor.id,
        station_id=station.id,
        din=din,
        check_character=isbt128.check_character(din),
        machine="PCS2",
        kit_lot="K1",
        started_at=at,
        ended_at=at + timedelta(minutes=40),
        total_weight_g=580.0,
        anticoagulant_ml=60.0,
        abo="A",
        rhd="+",
        state=state,
        released_at=at + timedelta(days=95) if state in ("released", "shipped") else None,
    )
    session.add(collection)
    session.flush()
    if results is not None:
        session.add(
            LabResult(
                collection_id=collection.id,
                outcome="negative",
                tested_at=at + timedelta(days=1),
                **results,
            )
        )
    session.flush()
    return collection


def ship(session, world, collections, at):
    shipment = Shipment(
        number=f"S-CA-S{next(_serial):05d}",
        station_id=world.org("S-CA").id,
        manufacturer_id=world.org("MF").id,
        shipped_at=at,
    )
    session.add(shipment)
    session.flush()
    for c in collections:
        c.state = "shipped"
        session.add(c)
        session.add(ShipmentItem(shipment_id=shipment.id, collection_id=c.id, box_label="B01"))
    session.flush()
    return shipment


def blood_donation(
    session, world, donor, at, *, products=("E0001", "E0004"), tested=True, state="available"
):
    centre = world.org("BC")
    din = isbt128.make_din("B3300", at.year, 800_000 + next(_serial))
    donation = BloodDonation(
        donor_id=donor.id,
        centre_id=centre.id,
        din=din,
        check_character=isbt128.check_character(din),
        kind="whole_blood",
        volume_ml=400,
        collected_at=at,
        abo="A",
        rhd="+",
        confirmed_abo="A",
        confirmed_rhd="+",
        group_status="confirmed",
    )
    session.add(donation)
    session.flush()
    if tested:
        for marker, result in NEGATIVE.items():
            session.add(
                BloodTestResult(
                    donation_id=donation.id,
                    centre_id=centre.id,
                    marker=marker,
                    result=result,
                    entered_by="lab",
                    entered_at=at + timedelta(hours=6),
                )
            )
    units = []
    for product in products:
        component = {"E0001": "red_cells", "E0004": "plasma"}.get(product, "red_cells")
        unit = Unit(
            din=din,
            check_character=donation.check_character,
            product_code=product,
            component=component,
            abo="A",
            rhd="+",
            volume_ml=200,
            collected_at=at,
            expires_at=now() + timedelta(days=30),
            state=state,
            owner_id=centre.id,
            centre_id=centre.id,
            donation_id=donation.id,
        )
        session.add(unit)
        units.append(unit)
    session.flush()
    return donation, units


def clerk(session, world):
    from blood.accounts.roles import Role
    from tests.stock.helpers import staff

    return staff(session, world, "bc.clerk", Role.STOCK_CLERK)


def to_hospital(session, world, unit, hospital, at):
    """BC issues the unit to `hospital`, which receives it."""
    system = Actor.system("tests")
    transition(
        session=session,
        actor=system,
        unit=unit,
        action=Action.ISSUE,
        holder=world.org("BC"),
        new_owner=world.org(hospital),
        now=at,
    )
    transition(
        session=session,
        actor=system,
        unit=unit,
        action=Action.RECEIVE,
        holder=world.org(hospital),
        now=at + timedelta(hours=2),
    )
    return unit


@dataclass
class Chain:
    donor: object
    plasma_old: object  # before the window: not traced
    plasma_shipped: object
    plasma_in_stock: object
    donation: object
    red_cells: object  # to H-HZ, to be transfused
    ffp: object  # to H-WZ, in its stock
    late: object  # the reactive donation
    late_units: list = field(default_factory=list)


def full_chain(session, world) -> Chain:
    """A donor gives plasma and whole blood over months; components to two hospitals and
    plasma to the manufacturer. Committed by the caller."""
    donor = register(session, world, serial=471, name="李雷")
    t = now()
    old = plasma_donation(session, world, donor, t - timedelta(days=500))
    shipped = plasma_donation(session, world, donor, t - timedelta(days=200))
    ship(session, world, [shipped], t - timedelta(days=90))
    in_stock = plasma_donation(session, world, donor, t - timedelta(days=100))
    donation, (red, ffp) = blood_donation(session, world, donor, t - timedelta(days=20))
    to_hospital(session, world, red, "H-HZ", t - timedelta(days=15))
    to_hospital(session, world, ffp, "H-WZ", t - timedelta(days=14))
    late, late_units = blood_donation(
        session, world, donor, t - timedelta(days=2), tested=False, state="pending_tests"
    )
    return Chain(donor, old, shipped, in_stock, donation, red, ffp, late, late_units)


def reactive(session, world, chain, markers=("nat",)):
    """BC's laboratory finds the late donation reactive for NAT (what its lab service calls;
    no earlier donation was NAT-tested, so the whole 12 months are traced)."""
    from tests.stock.helpers import lab as bc_lab

    lab = bc_lab(session, world)
    return donors.record_reactive_donation(
        session=session,
        actor=lab,
        donor=chain.donor,
        din=chain.late.din,
        markers=list(markers),
        organisation=world.org("BC"),
    )
