"""Demo plasma-station data: facility ids, designated areas, donors with half a year of
history, test results, a deferral and look-back, released units and a shipment.

Every date is relative to the day the demo is loaded, so on any day it shows a living
station: units releasable now and units still in quarantine, a donor checked in today and
waiting for the physician, an over-limit collection waiting for the quality manager's
decision, and a donor who gave whole blood at the blood centre recently (the station refuses
them plasma, and each side's donor page shows the other side's donation).

The past cannot be created through the services (they act on "today"), so earlier
donations are written directly, then the station's own staff act through the services for
today's work: release from quarantine, shipping, the manufacturer's receipt, check-ins, a
screening and a collection.
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
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.plasma import service as plasma
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from blood.sequences import next_value
from blood.stock.models import BloodDonation

# station code: (ISBT 128 facility id, designated area)
STATIONS = {
    "PS-CHUNAN": ("P3327", ["330127"]),
    "PS-JIANDE": ("P3382", ["330182"]),
    "PS-TAISHUN": ("P3329", ["330329"]),
}
BLOOD_CENTRES = {"ZJ-BC": "B3300"}
STREETS = ["环湖", "新安", "排岭", "明珠"]

# name, sex, age today, birthday (month, day), ABO, RhD: ages, not birth dates, so that the
# donors stay within the age rule whatever the year (18-55 for a new donor).
DONORS = [
    ("方建华", "M", 47, (3, 12), "A", "+"),
    ("余秀英", "F", 43, (7, 25), "O", "+"),
    ("汪志明", "M", 50, (1, 9), "B", "+"),
    ("徐丽娟", "F", 37, (4, 30), "A", "+"),
    ("郑国强", "M", 52, (8, 18), "O", "+"),
    ("姜美玲", "F", 34, (2, 3), "AB", "+"),
    ("程立新", "M", 40, (6, 14), "O", "-"),
    ("洪小燕", "F", 46, (9, 21), "B", "+"),
    ("童建军", "M", 32, (5, 27), "A", "+"),
    ("王桂芳", "F", 53, (1, 10), "O", "+"),
]
WAITING = 1  # checked in today, waiting for the physician (no history yet)
WHOLE_BLOOD = 3  # gave whole blood at the blood centre recently
OVER_LIMIT = 4  # collected today over the limit: a deviation for the quality manager
REACTIVE = 6  # a reactive marker on the latest donation: deferred, look-back opened
# Days before today when each donor's plasma history stops (default: 3 days ago). The
# whole-blood donor stopped long enough before giving whole blood (plasma -> whole blood:
# 4 weeks); the over-limit donor is due again today (plasma -> plasma: day 15).
# Two donors lapsed: they stopped giving three and four months ago, and the recall list
# (blood.analytics) offers them to the registrar.
LAPSED = {7: 100, 8: 120}
HISTORY_STOPS = {WHOLE_BLOOD: 45, OVER_LIMIT: 20, **LAPSED}
WHOLE_BLOOD_DAYS_AGO = 9
# Units collected longer ago than this are released (half of them shipped); the releasable
# ones collected since are left for the quality manager to release.
RELEASED_AFTER_DAYS = 140


def birth_date(age: int, month: int, day: int, today: date) -> date:
    """The birthday `age` years before this year's, or a year earlier if not reached yet."""
    born = date(today.year - age, month, day)
    return born if (month, day) <= (today.month, today.day) else born.replace(year=born.year - 1)


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
    today = donors.local_today(chunan)
    people = []
    for index, (name, sex, age, (month, day), abo, rhd) in enumerate(DONORS):
        serial = 100 + 2 * index + (1 if sex == "M" else 0)
        born = birth_date(age, month, day, today)
        people.append(
            donors.register_donor(
                session=session,
                actor=registrar,
                data=donors.DonorRegistration(
                    resident_id=resident_id("330127", f"{born:%Y%m%d}", serial),
                    name=name,
                    phone=f"139{5700 + index:04d}{1234 + 37 * index:04d}"[:11],
                    address=f"淳安县千岛湖镇{STREETS[index % 4]}路{10 + index}号",
                    abo=abo,
                    rhd=rhd,
                ),
            )
        )
    _write_history(session, chunan, people, staff("chunan.lab"))
    _whole_blood_at_the_centre(session, orgs["ZJ-BC"], people[WHOLE_BLOOD], users)

    quality = staff("chunan.quality")
    _release_and_ship(session, quality, staff("zjbio.receiving"), chunan, today)

    # Today: one donor waits for the physician; another was collected over the limit.
    vault = settings.of(session).vault
    plasma.check_in(
        session=session,
        actor=registrar,
        resident_id=vault.decrypt(people[WAITING].resident_id_enc),
    )
    _collect_over_limit(session, people[OVER_LIMIT], registrar, staff)
    return True


def _release_and_ship(
    session: Session, quality: Actor, receiving: Actor, station: Organisation, today: date
) -> None:
    """The older releasable units released, half of those shipped and received; the
    releasable units collected since stay in quarantine for the quality manager."""
    cutoff = datetime.combine(
        today - timedelta(days=RELEASED_AFTER_DAYS), time.min, ZoneInfo(station.timezone)
    )
    old = [
        unit.din
        for unit, blockers in plasma.quarantine_overview(session=session, actor=quality)
        if not blockers and unit.started_at < cutoff
    ]
    if not old:
        return
    released, _refused = plasma.release_units(session=session, actor=quality, dins=old)
    if len(released) >= 4:
        first = plasma.build_shipment(
            session=session,
            actor=quality,
            manufacturer_code="MF-ZJBIO",
            dins=[u.din for u in released[: len(released) // 2]],
            box_size=12,
        )
        plasma.confirm_receipt(
            session=session, actor=receiving, shipment_id=first.id, discrepancies=[]
        )


def _whole_blood_at_the_centre(session: Session, centre: Organisation, person, users) -> None:
    """400 mL of whole blood at the provincial blood centre a few days ago (the past:
    written directly, as the centre's collector would have recorded it)."""
    zone = ZoneInfo(centre.timezone)
    day = donors.local_today(centre) - timedelta(days=WHOLE_BLOOD_DAYS_AGO)
    at = datetime.combine(day, time(10, 20), zone).astimezone(UTC)
    sequence = next_value(session, f"din:{centre.facility_id}:{day.year % 100:02d}")
    din = isbt128.make_din(centre.facility_id, day.year, sequence)
    session.add(
        BloodDonation(
            donor_id=person.id,
            centre_id=centre.id,
            din=din,
            check_character=isbt128.check_character(din),
            kind="whole_blood",
            volume_ml=400,
            collected_at=at,
            collected_by_id=users["bc.collector"].id,
            abo=person.abo,
            rhd=person.rhd,
            screening={
                "weight_kg": 58,
                "systolic": 118,
                "diastolic": 76,
                "pulse": 70,
                "hb_g_l": 132,
            },
        )
    )
    session.flush()


GOOD_SCREENING = dict(
    weight_kg=68,
    systolic=122,
    diastolic=78,
    pulse=72,
    temperature_c=36.5,
    total_protein_g_l=71,
    alt_u_l=14,
    rapid_tests={"hbsag": False, "anti_hcv": False, "anti_hiv": False, "syphilis": False},
    questionnaire={
        "feels_well": True,
        "recent_illness": False,
        "new_medication": False,
        "tattoo_or_piercing_12m": False,
        "pregnant_or_recent_birth": False,
        "high_risk_behaviour": False,
    },
)


def _collect_over_limit(session: Session, person, registrar: Actor, staff) -> None:
    """Today's visit through the services: check-in, screening, and a collection of 650 g
    against the 600 g limit, kept as a deviation with the collector's reason."""
    from blood.donors import rules

    vault = settings.of(session).vault
    visit = plasma.check_in(
        session=session, actor=registrar, resident_id=vault.decrypt(person.resident_id_enc)
    )
    plasma.record_screening(
        session=session,
        actor=staff("chunan.physician"),
        visit_id=visit.id,
        data=rules.Screening(**GOOD_SCREENING),
    )
    now = datetime.now(UTC)
    plasma.record_collection(
        session=session,
        actor=staff("chunan.collector"),
        visit_id=visit.id,
        data=plasma.CollectionInput(
            machine="PCS2-03",
            kit_lot=f"LOT-{now:%y%m}",
            started_at=now - timedelta(minutes=55),
            ended_at=now - timedelta(minutes=10),
            total_weight_g=650.0,
            anticoagulant_ml=62.0,
            over_limit_reason="采浆机称重报警失灵，护士发现时已超量，手动停止采集",
        ),
    )


def _write_history(session: Session, station: Organisation, people, lab: Actor) -> None:
    """Donations every 16–30 days over the last 200 days, tested negative but for one."""
    rng = random.Random(20261122)
    zone = ZoneInfo(station.timezone)
    today = donors.local_today(station)
    count = 0
    for person_index, person in enumerate(people):
        if person_index == WAITING:
            continue  # the donor checked in today has no record yet besides registration
        day = today - timedelta(days=200 - rng.randint(0, 20))
        # Registered shortly before the first donation (the registration itself was today's).
        person.registered_at = datetime.combine(
            day - timedelta(days=1), time(9, 0), zone
        ).astimezone(UTC)
        stop = today - timedelta(days=HISTORY_STOPS.get(person_index, 3))
        while day <= stop:
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
        if person_index == REACTIVE:
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
