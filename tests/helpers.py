"""Arranging helpers for the donor and plasma tests (service calls, never raw SQL for state
that a service owns, except to put events in the past)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from blood import settings
from blood.accounts.service import actor_for_user
from blood.donors import rules
from blood.donors.service import DonorRegistration, register_donor
from blood.plasma import service as plasma
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from tests.conftest import make_resident_id

GOOD_SCREENING = rules.Screening(
    weight_kg=62,
    systolic=118,
    diastolic=76,
    pulse=72,
    temperature_c=36.6,
    total_protein_g_l=70,
    alt_u_l=15,
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


def as_user(session, world, username):
    return actor_for_user(session, world.users[username])


def register(session, world, serial=123, region="330127", username="sca.registrar", **extra):
    data = DonorRegistration(
        resident_id=make_resident_id(region=region, serial=serial),
        name=extra.pop("name", "王芳"),
        abo=extra.pop("abo", "A"),
        rhd=extra.pop("rhd", "+"),
        **extra,
    )
    return register_donor(session=session, actor=as_user(session, world, username), data=data)


def collect_today(session, world, donor, weight=600.0, screening=GOOD_SCREENING):
    """Check in, screen and collect through the services, as the station's staff do."""
    visit = plasma.check_in(
        session=session,
        actor=as_user(session, world, "sca.registrar"),
        resident_id=settings.of(session).vault.decrypt(donor.resident_id_enc),
    )
    plasma.record_screening(
        session=session,
        actor=as_user(session, world, "sca.physician"),
        visit_id=visit.id,
        data=screening,
    )
    now = datetime.now(UTC)
    return plasma.record_collection(
        session=session,
        actor=as_user(session, world, "sca.collector"),
        visit_id=visit.id,
        data=plasma.CollectionInput(
            machine="PCS2-07",
            kit_lot="LOT-2611",
            started_at=now - timedelta(minutes=50),
            ended_at=now - timedelta(minutes=5),
            total_weight_g=weight,
            anticoagulant_ml=60,
        ),
    )


def past_collection(
    session,
    donor,
    station,
    days_ago: int,
    *,
    outcome: str | None = "negative",
    din: str | None = None,
    adverse_reaction: str | None = None,
) -> Collection:
    """A donation made `days_ago` days ago (history the services cannot create: the past)."""
    from blood import isbt128
    from blood.sequences import next_value

    when = datetime.now(UTC) - timedelta(days=days_ago)
    visit = Visit(
        donor_id=donor.id,
        station_id=station.id,
        visit_date=when.date(),
        status=VisitStatus.COLLECTED,
    )
    session.add(visit)
    session.flush()
    if din is None:
        counter = f"din:{station.facility_id}:{when.year % 100:02d}"  # the service's own
        din = isbt128.make_din(station.facility_id, when.year, next_value(session, counter))
    unit = Collection(
        visit_id=visit.id,
        donor_id=donor.id,
        station_id=station.id,
        din=din,
        check_character=isbt128.check_character(din),
        machine="M",
        kit_lot="K",
        started_at=when,
        ended_at=when + timedelta(minutes=45),
        total_weight_g=580,
        anticoagulant_ml=55,
        abo=donor.abo,
        rhd=donor.rhd,
        adverse_reaction=adverse_reaction,
    )
    session.add(unit)
    session.flush()
    if outcome:
        session.add(
            LabResult(
                collection_id=unit.id,
                total_protein_g_l=68,
                alt_u_l=12,
                hbsag="negative",
                anti_hcv="negative",
                anti_hiv="negative",
                syphilis="negative",
                outcome=outcome,
            )
        )
        session.flush()
    return unit
