"""Demo blood stock, alive whatever the day it is loaded: the provincial blood centre's
donations of the last five weeks (each tested by its laboratory, so every released unit was
honestly released), their components issued to hospitals and transfused, and today's work.

Every date is relative to today. What the pages then show:

- units that expire within 72 hours, at the centre and at a hospital;
- a hospital's order waiting for the centre;
- yesterday's donations tested this morning: units ready for release;
- a donation collected today waiting for its laboratory results;
- a whole-blood donation of 450 mL, recorded with a deviation, waiting for the quality
  manager;
- a unit on hold at a hospital after it arrived out of its temperature range.

The past is written directly (the services act on "now"), its issues and transfusions
counted in the daily usage as ``transition`` counts them; today's work goes through the
services, done by the demo's own staff.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from stdnum.cn import ric

from blood import audit, isbt128, settings
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user
from blood.db import utcnow
from blood.donors import rules
from blood.donors import service as donors
from blood.sequences import next_value
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, BloodTestResult, Unit, UnitMovement

# Share of donors by group in China (approximate, for believable figures only).
GROUP_WEIGHTS = {
    ("O", "+"): 30,
    ("A", "+"): 28,
    ("B", "+"): 29,
    ("AB", "+"): 10,
    ("O", "-"): 1,
    ("A", "-"): 1,
    ("B", "-"): 1,
    ("AB", "-"): 0.5,
}
# What a 400 mL whole-blood donation is split into (code, volume), and an apheresis one.
WHOLE_BLOOD_SPLIT = [("E0001", 280), ("E0004", 200)]
WHOLE_BLOOD_SPLIT_WITH_CRYO = [("E0001", 280), ("E0005", 180), ("E0006", 40)]
APHERESIS_SPLIT = [("E0003", 250)]
HOSPITALS = ["H-ZJU1", "H-ZJPPH", "H-WMU1", "H-CA1"]
DAYS = 35
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华"]
REGION = "330106"  # Xihu district, Hangzhou


class _Donors:
    """New donors registered at the centre as they come (each gives once in the demo)."""

    def __init__(self, session: Session, registrar: Actor, centre: Organisation, rng):
        self.session, self.registrar, self.rng = session, registrar, rng
        self.today = donors.local_today(centre)
        self.serial = 0

    def next(self, abo: str, rhd: str):
        self.serial += 1
        age = self.rng.randint(19, 52)
        born = date(self.today.year - age, 1 + self.serial % 12, 1 + self.serial % 28)
        body = f"{REGION}{born:%Y%m%d}{self.serial:03d}"
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        return donors.register_donor(
            session=self.session,
            actor=self.registrar,
            data=donors.DonorRegistration(
                resident_id=body + ric.calc_check_digit(body + "0"),
                name=name,
                abo=abo,
                rhd=rhd,
            ),
        )


def load_stock_demo(session: Session) -> bool:
    orgs = {o.code: o for o in session.exec(select(Organisation)).all()}
    centre = orgs["ZJ-BC"]
    if session.exec(select(Unit.id).where(Unit.centre_id == centre.id)).first():
        return False
    centre.facility_id = centre.facility_id or "B3300"
    users = {u.username: u for u in session.exec(select(User)).all()}

    def staff(name: str) -> Actor:
        return actor_for_user(session, users[name])

    rng = random.Random(4)
    now = utcnow()
    people = _Donors(session, staff("bc.collector"), centre, rng)
    made = _history(session, rng, centre, orgs, users, people, now)
    _today(session, centre, people, staff, now)
    audit.record(
        session,
        Actor.system("demo"),
        "demo.stock_history",
        entity_type="organisation",
        entity_id=centre.id,
        organisation=centre,
        changes={"units": [None, made]},
    )
    return True


# --- the past: written directly ---------------------------------------------------------------


def _history(session, rng, centre, orgs, users, people, now) -> int:
    """Donations of the last five weeks, tested and split; the older units issued and most
    of those transfused. Units that expire within 72 hours are kept at the centre (and one
    at a hospital), so the pages always have some."""
    groups, weights = zip(*GROUP_WEIGHTS.items(), strict=True)
    codes = {c: stock.product(session, c) for c in ("E0001", "E0003", "E0004", "E0005", "E0006")}
    alt_limit = settings.of(session).blood_alt_max_u_l
    markers = settings.of(session).blood_lab_markers
    collector, lab = users["bc.collector"], users["bc.lab"]
    zone = ZoneInfo(centre.timezone)
    today = now.astimezone(zone).date()
    made = 0
    expiring_at_hospital = False
    for day in range(DAYS, 1, -1):
        platelet_days = (3, 4, 6, 9, 12)  # platelets keep 5 days: days 3 and 4 expire soon
        kinds = ["whole_blood"] * rng.randint(6, 9) + (
            ["platelets", "platelets"] if day in platelet_days else []
        )
        for kind in kinds:
            abo, rhd = rng.choices(groups, weights)[0]
            at = datetime.combine(
                today - timedelta(days=day), time(rng.randint(8, 16), rng.randint(0, 59)), zone
            ).astimezone(UTC)
            donor = people.next(abo, rhd)
            donor.registered_at = at - timedelta(minutes=30)
            donation = _past_donation(session, centre, donor, kind, at, collector)
            _past_results(session, rng, donation, markers, alt_limit, lab, at)
            split = (
                APHERESIS_SPLIT
                if kind == "platelets"
                else WHOLE_BLOOD_SPLIT_WITH_CRYO
                if rng.random() < 0.2
                else WHOLE_BLOOD_SPLIT
            )
            for code, volume in split:
                product = codes[code]
                unit = Unit(
                    din=donation.din,
                    check_character=donation.check_character,
                    product_code=code,
                    component=product.component,
                    abo=abo,
                    rhd=rhd,
                    volume_ml=volume,
                    collected_at=at,
                    expires_at=at + stock.shelf_life(session, product),
                    state=UnitState.AVAILABLE,
                    owner_id=centre.id,
                    centre_id=centre.id,
                    donation_id=donation.id,
                )
                session.add(unit)
                session.flush()
                made += 1
                if unit.expires_at <= now:
                    unit.state = UnitState.EXPIRED
                    continue
                if unit.expires_at <= now + timedelta(hours=72):
                    # About to expire: most stay at the centre; one red-cell unit waits in a
                    # hospital's stock.
                    if unit.component == "red_cells" and not expiring_at_hospital:
                        _issue_and_use(
                            session, rng, unit, centre, orgs["H-ZJU1"], day, now, use=False
                        )
                        expiring_at_hospital = True
                    continue
                if day > 2 and rng.random() < 0.7:
                    hospital = orgs[rng.choice(HOSPITALS)]
                    # H-ZJU1 keeps its last fortnight's red cells in stock, so the clinical
                    # demo has units to give today whatever the hour it is loaded.
                    keep = hospital.code == "H-ZJU1" and unit.component == "red_cells"
                    use = not (keep and day <= 14)
                    _issue_and_use(session, rng, unit, centre, hospital, day, now, use=use)
    return made


def _past_donation(session, centre, donor, kind, at, collector) -> BloodDonation:
    sequence = next_value(session, f"din:{centre.facility_id}:{at.year % 100:02d}")
    din = isbt128.make_din(centre.facility_id, at.year, sequence)
    donation = BloodDonation(
        donor_id=donor.id,
        centre_id=centre.id,
        din=din,
        check_character=isbt128.check_character(din),
        kind=kind,
        volume_ml=400 if kind == "whole_blood" else 250,
        collected_at=at,
        collected_by_id=collector.id,
        abo=donor.abo,
        rhd=donor.rhd,
        confirmed_abo=donor.abo,
        confirmed_rhd=donor.rhd,
        group_status="confirmed",
        group_confirmed_by_id=None,
        group_confirmed_at=at + timedelta(hours=20),
        screening={"weight_kg": 62, "systolic": 118, "diastolic": 76, "pulse": 72, "hb_g_l": 138},
    )
    session.add(donation)
    session.flush()
    return donation


def _past_results(session, rng, donation, markers, alt_limit, lab, at) -> None:
    """Every marker negative (ALT within its limit), entered the morning after."""
    donation.group_confirmed_by_id = lab.id
    entered = at + timedelta(hours=20)
    for marker in markers:
        if marker in stock.MEASURED_MARKERS:
            value = float(rng.randint(8, int(alt_limit) - 10))
            row = BloodTestResult(
                donation_id=donation.id,
                centre_id=donation.centre_id,
                marker=marker,
                result="within_limit",
                value=value,
                limit_value=alt_limit,
                entered_by_id=lab.id,
                entered_by=lab.username,
                entered_at=entered,
            )
        else:
            row = BloodTestResult(
                donation_id=donation.id,
                centre_id=donation.centre_id,
                marker=marker,
                result="negative",
                entered_by_id=lab.id,
                entered_by=lab.username,
                entered_at=entered,
            )
        session.add(row)


def _issue_and_use(session, rng, unit, centre, hospital, day, now, *, use=True) -> None:
    issued_at = unit.collected_at + timedelta(days=rng.randint(1, max(1, day - 1)), hours=2)
    issued_at = min(issued_at, now - timedelta(hours=6))
    moves = [
        ("issue", "available", "issued", centre.id, hospital.id, issued_at),
        ("receive", "issued", "received", hospital.id, None, issued_at + timedelta(hours=3)),
    ]
    unit.owner_id = hospital.id
    unit.state = UnitState.RECEIVED
    if use and rng.random() < 0.8 and issued_at + timedelta(days=1) < now:
        used_at = issued_at + timedelta(hours=rng.randint(6, 48))
        used_at = min(used_at, now - timedelta(hours=1))
        moves.append(("transfuse", "received", "transfused", hospital.id, None, used_at))
        unit.state = UnitState.TRANSFUSED
    for action, before, after, org_id, counterpart, at in moves:
        movement = UnitMovement(
            unit_id=unit.id,
            action=action,
            from_state=before,
            to_state=after,
            organisation_id=org_id,
            counterpart_id=counterpart,
            component=unit.component,
            abo=unit.abo,
            rhd=unit.rhd,
            at=at,
        )
        session.add(movement)
        # Not written by ``transition``: counted in the daily usage here, as it would be.
        holder = centre if org_id == centre.id else hospital
        stock.count_movement(session=session, movement=movement, organisation=holder)


# --- today: through the services -------------------------------------------------------------

WELL = rules.Screening(weight_kg=64, systolic=118, diastolic=76, pulse=72, hb_g_l=138)


def _collect(session, people, staff, abo, rhd, volume=400, reason=None) -> BloodDonation:
    donor = people.next(abo, rhd)
    return stock.record_blood_donation(
        session=session,
        actor=staff("bc.collector"),
        data=stock.BloodDonationInput(
            donor=donor.card_number,
            kind="whole_blood",
            volume_ml=volume,
            screening=WELL,
            deviation_reason=reason,
        ),
    )


def _split(session, staff, donation, split=WHOLE_BLOOD_SPLIT) -> list[Unit]:
    return stock.produce_components(
        session=session,
        actor=staff("bc.stock"),
        donation_id=donation.id,
        components=[stock.ComponentInput(code, volume) for code, volume in split],
    )


def _negative(session, staff, donation) -> None:
    markers = settings.of(session).blood_lab_markers
    stock.record_lab_results(
        session=session,
        actor=staff("bc.lab"),
        results=[
            stock.LabInput(
                din=donation.din,
                abo=donation.abo,
                rhd=donation.rhd,
                results={m: 21.0 if m in stock.MEASURED_MARKERS else "negative" for m in markers},
            )
        ],
    )


def _today(session, centre, people, staff, now) -> None:
    # Yesterday's donations, tested this morning: their units wait for release.
    for abo, rhd in (("O", "+"), ("A", "+"), ("B", "+")):
        donation = _collect(session, people, staff, abo, rhd)
        _split(session, staff, donation)
        _negative(session, staff, donation)
        _move_back(session, donation, hours=20)
    # Collected today, waiting for the laboratory.
    waiting = _collect(session, people, staff, "A", "+", volume=300)
    _split(session, staff, waiting, [("E0001", 210), ("E0004", 150)])
    # 450 mL: recorded with a deviation, tested, waiting for the quality manager.
    deviating = _collect(
        session,
        people,
        staff,
        "O",
        "+",
        volume=450,
        reason="采血秤故障，采集未在 400 mL 时自动停止",
    )
    _split(session, staff, deviating, [("E0001", 310), ("E0004", 230)])
    _negative(session, staff, deviating)

    # A hospital's order waiting for the centre.
    stock.create_order(
        session=session,
        actor=staff("zju1.transfusion"),
        centre_code="ZJ-BC",
        urgency="urgent",
        lines=[
            stock.OrderLineInput("red_cells", "O", "+", 4),
            stock.OrderLineInput("red_cells", "A", "+", 2),
        ],
    )

    # A unit sent to a hospital today arrived out of its temperature range: on hold there.
    unit = session.exec(
        select(Unit)
        .where(
            Unit.owner_id == centre.id,
            Unit.state == UnitState.AVAILABLE,
            Unit.component == "red_cells",
            Unit.expires_at > now + timedelta(days=7),
        )
        .order_by(Unit.abo != "B", Unit.expires_at)
    ).first()
    placed = stock.create_order(
        session=session,
        actor=staff("zjpph.transfusion"),
        centre_code="ZJ-BC",
        urgency="routine",
        lines=[stock.OrderLineInput("red_cells", unit.abo, unit.rhd, 1)],
    )
    dispatch = stock.fulfil_order(
        session=session, actor=staff("bc.stock"), order_id=placed.id, unit_ids=[unit.id]
    )
    stock.confirm_receipt(
        session=session,
        actor=staff("zjpph.transfusion"),
        dispatch_id=dispatch.id,
        lines=[stock.ReceiptLine(unit.din, unit.product_code, False, unit.division)],
    )


def _move_back(session, donation: BloodDonation, *, hours: int) -> None:
    """Yesterday's donation: collected `hours` ago (written back: the services act on now)."""
    shift = timedelta(hours=hours)
    donation.collected_at -= shift
    for unit in session.exec(select(Unit).where(Unit.donation_id == donation.id)).all():
        unit.collected_at -= shift
        unit.expires_at -= shift
        session.add(unit)
    session.add(donation)
