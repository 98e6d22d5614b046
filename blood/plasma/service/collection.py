"""Collection: an eligible donor's unit gets its DIN (ISBT 128); finding a unit by its DIN;
the station's donations as history for the eligibility engine; what a donor's record shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, deviations, isbt128, settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role, restrict_to_visible
from blood.db import utcnow
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.messages import DONATION_REACTIONS as ADVERSE_REACTIONS
from blood.donors.messages import describe
from blood.donors.models import Donor
from blood.errors import Conflict, DomainError, NotFound, ValidationFailed
from blood.plasma.models import DEVIATION_OVER_LIMIT, Collection, LabResult, Visit, VisitStatus
from blood.plasma.service.visits import _own_visit, donor_visits, screening_of
from blood.sequences import next_value
from blood.validation_messages import describe_invalid_din


class DinNotConfigured(DomainError):
    status = 409
    code = "facility_id_missing"
    template = _l(
        "This station has no ISBT 128 facility identification number yet: "
        "ask the administrator to set it before collecting."
    )


# --- history for the eligibility engine ----------------------------------------------------


def plasma_donations(session: Session, donor: Donor) -> list[rules.PastDonation]:
    """The donor's plasma donations at every station, for the eligibility engine's history
    and for the donor page at other organisations (kind, day, station)."""
    rows = session.exec(
        select(
            Collection.started_at,
            Collection.adverse_reaction,
            Collection.station_id,
            Organisation.timezone,
        )
        .join(Organisation, Organisation.id == Collection.station_id)
        .where(Collection.donor_id == donor.id)
    ).all()
    return [
        rules.PastDonation(
            on=started.astimezone(ZoneInfo(tz)).date(),
            kind=rules.DonationKind.PLASMA,
            adverse_reaction=bool(reaction),
            organisation_id=station_id,
        )
        for started, reaction, station_id, tz in rows
    ]


donors.HISTORY_SOURCES.append(plasma_donations)


@dataclass(frozen=True)
class CollectionInput:
    machine: str
    kit_lot: str
    started_at: datetime
    ended_at: datetime
    total_weight_g: float
    anticoagulant_ml: float
    adverse_reaction: str | None = None
    # Why the collection went over the donor's limit; required when it did (kept as the
    # deviation's reason).
    over_limit_reason: str | None = None


def record_collection(
    *, session: Session, actor: Actor, visit_id: int, data: CollectionInput
) -> Collection:
    """Collect from an eligible donor; give the unit its DIN.

    Over the donor's limit, the plasma exists: the collection is kept with its real weight as
    a deviation, with the collector's reason (refused only when the reason is missing), and
    the unit is not released until the quality manager accepts it. A weight no apheresis
    collection can have (``Settings.plasma_plausible_max_g``) is a typing error: refused.
    """
    require_role(actor, Role.COLLECTOR)
    visit, station = _own_visit(session, actor, visit_id)
    if visit.status == VisitStatus.COLLECTED:
        raise Conflict(_l("This visit already has its collection."))
    if visit.status != VisitStatus.ELIGIBLE:
        raise Conflict(_l("The donor has not been screened eligible today."))
    if visit.visit_date != donors.local_today(station):
        raise Conflict(_l("This visit was on another day; check the donor in again."))
    donor = session.get(Donor, visit.donor_id)
    # Deferrals may have been recorded since the screening (at any station): decide again.
    decision = donors.assess(
        session=session,
        actor=actor,
        donor=donor,
        screening=screening_of(visit),
        on=visit.visit_date,
    )
    if not decision.eligible:
        raise Conflict(_l("The donor is no longer eligible: screen again to see why."))

    errors: dict[str, list[str]] = {}
    now = utcnow()
    if data.ended_at <= data.started_at:
        errors["ended_at"] = [_("The end must be after the start.")]
    if data.ended_at > now + timedelta(minutes=5):
        errors["ended_at"] = [_("This time is in the future.")]
    if data.total_weight_g <= 0:
        errors["total_weight_g"] = [_("Must be more than 0.")]
    if data.anticoagulant_ml < 0 or data.anticoagulant_ml >= max(data.total_weight_g, 0.001):
        errors["anticoagulant_ml"] = [_("Must be 0 or more, and less than the total.")]
    if data.adverse_reaction and data.adverse_reaction not in ADVERSE_REACTIONS:
        errors["adverse_reaction"] = [_("Choose a reaction from the list.")]
    if not data.machine.strip():
        errors["machine"] = [_("Required.")]
    if not data.kit_lot.strip():
        errors["kit_lot"] = [_("Required.")]
    plausible = settings.of(session).plasma_plausible_max_g
    if data.total_weight_g > plausible:
        errors["total_weight_g"] = [
            _(
                "No apheresis collection weighs more than %(maximum)s g: mistyped?",
                maximum=f"{plausible:g}",
            )
        ]
    reason = (data.over_limit_reason or "").strip()
    over = None
    if not errors:
        over = rules.check_collection_amount(
            donors.profile_for(session, station),
            visit.weight_kg,
            data.total_weight_g,
            data.anticoagulant_ml,
        )
        if over is not None and not reason:
            errors["total_weight_g"] = [describe(over)]
            errors["over_limit_reason"] = [
                _(
                    "If this is the real weight, say why the limit was exceeded: the "
                    "collection is kept as a deviation and the unit waits for the quality "
                    "manager's decision."
                )
            ]
    if len(reason) > 500:
        errors["over_limit_reason"] = [str(_l("At most {max} characters.")).format(max=500)]
    if errors:
        raise ValidationFailed(errors)

    if not station.facility_id:
        raise DinNotConfigured()
    year = visit.visit_date.year
    sequence = next_value(session, f"din:{station.facility_id}:{year % 100:02d}")
    din = isbt128.make_din(station.facility_id, year, sequence)
    unit = Collection(
        visit_id=visit.id,
        donor_id=donor.id,
        station_id=station.id,
        din=din,
        check_character=isbt128.check_character(din),
        machine=data.machine.strip(),
        kit_lot=data.kit_lot.strip(),
        started_at=data.started_at,
        ended_at=data.ended_at,
        total_weight_g=data.total_weight_g,
        anticoagulant_ml=data.anticoagulant_ml,
        adverse_reaction=data.adverse_reaction or None,
        abo=donor.abo,
        rhd=donor.rhd,
        collected_by_id=actor.user_id,
    )
    if over is not None:
        unit.deviation = DEVIATION_OVER_LIMIT
        unit.deviation_facts = dict(over.facts)
        unit.deviation_reason = reason
        unit.deviation_status = deviations.OPEN
    session.add(unit)
    visit.status = VisitStatus.COLLECTED
    audit.record(session, actor, "plasma.collect", unit, organisation=station)
    return unit


def find_unit(*, session: Session, actor: Actor, scanned: str) -> Collection:
    """A unit by its DIN as scanned or typed; a wrong check character is refused."""
    try:
        parsed = isbt128.parse_din(scanned)
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [describe_invalid_din(error)]}) from None
    unit = session.exec(
        restrict_to_visible(select(Collection), Collection.station_id, actor).where(
            Collection.din == parsed.din
        )
    ).first()
    if unit is None:
        raise NotFound()
    return unit


class UnitNotHere(NotFound):
    template = _l("No unit with this DIN here.")


def scan_unit(*, session: Session, actor: Actor, scanned: str) -> Collection:
    """``find_unit`` for the scanner box, which says so when no unit has this DIN here."""
    try:
        return find_unit(session=session, actor=actor, scanned=scanned)
    except NotFound:
        raise UnitNotHere() from None


@dataclass(frozen=True)
class UnitLabel:
    unit: Collection
    donor: Donor


def unit_label(*, session: Session, actor: Actor, scanned: str) -> UnitLabel:
    """What a unit's label prints: the unit and its donor's card."""
    unit = find_unit(session=session, actor=actor, scanned=scanned)
    return UnitLabel(unit=unit, donor=session.get(Donor, unit.donor_id))


# --- a donor's record at the station -------------------------------------------------------


def donor_units(
    *, session: Session, actor: Actor, donor: Donor
) -> list[tuple[Collection, LabResult | None]]:
    """Every unit of a donor (as ``donors.get_donor`` gave it) collected at a station the
    actor sees, with its lab result, latest first."""
    return list(
        session.exec(
            restrict_to_visible(select(Collection, LabResult), Collection.station_id, actor)
            .outerjoin(LabResult, LabResult.collection_id == Collection.id)
            .where(Collection.donor_id == donor.id)
            .order_by(Collection.started_at.desc())
        ).all()
    )


@dataclass(frozen=True)
class DonorRecord:
    """The station's part of a donor's page."""

    visits: list[Visit]
    units: list[tuple[Collection, LabResult | None]]


def donor_record(*, session: Session, actor: Actor, donor: Donor) -> DonorRecord | None:
    """The station's visits and units of the donor, for the staff of a plasma station; None
    elsewhere (a blood centre sees the donor's plasma donations as the registry shows every
    donation at another organisation: kind, day, station)."""
    if actor.organisation_kind != OrgKind.PLASMA_STATION:
        return None
    return DonorRecord(
        visits=donor_visits(session=session, actor=actor, donor=donor),
        units=donor_units(session=session, actor=actor, donor=donor),
    )
