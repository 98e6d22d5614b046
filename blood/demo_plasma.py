"""Demo plasma-station data: facility ids, designated areas, donors with half a year of
history, test results, a deferral and look-back, released units and a shipment.

The past cannot be created through the services (they act on "today"), so earlier
donations are written directly, then the station's own staff act through the services for
today's work: release from quarantine, shipping, the manufacturer's receipt, a check-in.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from stdnum.cn import ric

from blood import audit, isbt128, pii
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.plasma import service as plasma
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from blood.sequences import next_value

# station code: (ISBT 128 facility id, designated area)
STATIONS = {
    "PS-CHUNAN": ("P3327", ["330127"]),
    "PS-JIANDE": ("P3382", ["330182"]),
    "PS-TAISHUN": ("P3329", ["330329"]),
}
BLOOD_CENTRES = {"ZJ-BC": "B3300"}
STREETS = ["环湖", "新安", "排岭", "明珠"]

DONORS = [  # name, sex, birth date, ABO, RhD
    ("方建华", "M", "19780312", "A", "+"),
    ("余秀英", "F", "19820725", "O", "+"),
    ("汪志明", "M", "19750109", "B", "+"),
    ("徐丽娟", "F", "19880430", "A", "+"),
    ("郑国强", "M", "19700818", "O", "+"),
    ("姜美玲", "F", "19910203", "AB", "+"),
    ("程立新", "M", "19850614", "O", "-"),
    ("洪小燕", "F", "19790921", "B", "+"),
    ("童建军", "M", "19930527", "A", "+"),
    ("王桂芳", "F", "19720110", "O", "+"),
]


def resident_id(region: str, birth: str, serial: int) -> str:
    body = f"{region}{birth}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def load_plasma_demo(session: Session) -> bool:
    """Returns False (and changes nothing) when the demo station already has donors."""
    orgs = {o.code: o for o in session.exec(select(Organisation)).all()}
    for code, (facility, _area) in STATIONS.items():
        orgs[code].facility_id = orgs[code].facility_id or facility
    for code, facility in BLOOD_CENTRES.items():
        orgs[code].facility_id = orgs[code].facility_id or facility
    chunan = orgs["PS-CHUNAN"]
    if session.exec(select(Donor.id).where(Donor.station_id == chunan.id)).first():
        return False
    system = Actor.system("demo")
    for code, (_facility, area) in STATIONS.items():
        donors.set_designated_area(
            session=session, actor=system, station=orgs[code], division_codes=area
        )

    users = {u.username: u for u in session.exec(select(User)).all()}

    def staff(name: str) -> Actor:
        return actor_for_user(session, users[name])

    registrar = staff("chunan.registrar")
    people = []
    for index, (name, sex, birth, abo, rhd) in enumerate(DONORS):
        serial = 100 + 2 * index + (1 if sex == "M" else 0)
        people.append(
            donors.register_donor(
                session=session,
                actor=registrar,
                data=donors.DonorRegistration(
                    resident_id=resident_id("330127", birth, serial),
                    name=name,
                    phone=f"139{5700 + index:04d}{1234 + 37 * index:04d}"[:11],
                    address=f"淳安县千岛湖镇{STREETS[index % 4]}路{10 + index}号",
                    abo=abo,
                    rhd=rhd,
                ),
            )
        )
    _write_history(session, chunan, people, staff("chunan.lab"))

    quality = staff("chunan.quality")
    released, _refused = plasma.release_units(session=session, actor=quality)
    if len(released) >= 4:
        first = plasma.build_shipment(
            session=session,
            actor=quality,
            manufacturer_code="MF-ZJBIO",
            dins=[u.din for u in released[: len(released) // 2]],
            box_size=12,
        )
        plasma.confirm_receipt(
            session=session, actor=staff("zjbio.receiving"), shipment_id=first.id, discrepancies=[]
        )
    # Today: one donor waits for the physician.
    waiting = people[1]
    plasma.check_in(
        session=session, actor=registrar, resident_id=pii.vault().decrypt(waiting.resident_id_enc)
    )
    return True


def _write_history(session: Session, station: Organisation, people, lab: Actor) -> None:
    """Donations every 16–30 days over the last 200 days, tested negative but for one."""
    rng = random.Random(20261122)
    zone = ZoneInfo(station.timezone)
    today = donors.local_today(station)
    count = 0
    for person_index, person in enumerate(people):
        if person_index == 1:
            continue  # the donor checked in today has no record yet besides registration
        day = today - timedelta(days=200 - rng.randint(0, 20))
        while day < today - timedelta(days=2):
            start = datetime.combine(day, time(8 + rng.randint(0, 8), rng.randint(0, 59)), zone)
            visit = Visit(
                donor_id=person.id,
                station_id=station.id,
                visit_date=day,
                status=VisitStatus.COLLECTED,
                weight_kg=55 + rng.randint(0, 25),
                systolic=110 + rng.randint(0, 20),
                diastolic=70 + rng.randint(0, 12),
                pulse=64 + rng.randint(0, 20),
                rule_profile="cn-plasma",
                screened_at=start - timedelta(minutes=30),
            )
            session.add(visit)
            session.flush()
            sequence = next_value(session, f"din:{station.facility_id}:{day.year % 100:02d}")
            din = isbt128.make_din(station.facility_id, day.year, sequence)
            unit = Collection(
                visit_id=visit.id,
                donor_id=person.id,
                station_id=station.id,
                din=din,
                check_character=isbt128.check_character(din),
                machine=f"PCS2-{rng.randint(1, 8):02d}",
                kit_lot=f"LOT-{day:%y%m}",
                started_at=start.astimezone(UTC),
                ended_at=(start + timedelta(minutes=40 + rng.randint(0, 15))).astimezone(UTC),
                total_weight_g=float(560 + rng.randint(0, 40)),
                anticoagulant_ml=float(50 + rng.randint(0, 10)),
                abo=person.abo,
                rhd=person.rhd,
            )
            session.add(unit)
            session.flush()
            count += 1
            if day < today - timedelta(days=5):
                session.add(
                    LabResult(
                        collection_id=unit.id,
                        total_protein_g_l=float(62 + rng.randint(0, 14)),
                        alt_u_l=float(8 + rng.randint(0, 15)),
                        hbsag="negative",
                        anti_hcv="negative",
                        anti_hiv="negative",
                        syphilis="negative",
                        outcome="negative",
                    )
                )
            last_unit = unit
            day += timedelta(days=16 + rng.randint(0, 14))
        if person_index == 6:
            # A reactive marker on this donor's latest donation, through the lab service.
            session.execute(
                LabResult.__table__.delete().where(LabResult.collection_id == last_unit.id)
            )
            plasma.record_lab_results(
                session=session,
                actor=lab,
                results=[
                    plasma.LabInput(
                        din=last_unit.din,
                        total_protein_g_l=70,
                        alt_u_l=14,
                        hbsag="negative",
                        anti_hcv="reactive",
                        anti_hiv="negative",
                        syphilis="negative",
                    )
                ],
            )
    audit.record(
        session,
        Actor.system("demo"),
        "demo.plasma_history",
        entity_type="organisation",
        entity_id=station.id,
        organisation=station,
        changes={"collections": [None, count]},
    )
