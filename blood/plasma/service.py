"""A plasma station's operations: check-in, screening, collection (with its DIN), lab
results, quarantine release and shipments to manufacturers.

Every rule is enforced here, so the web forms, the API and the CLI cannot bypass it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased
from sqlmodel import Session, func, select

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import (
    Actor,
    acting_organisation,
    require_role,
    restrict_to_visible,
    visible_org_ids,
)
from blood.db import utcnow
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.messages import describe
from blood.donors.models import Donor
from blood.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from blood.plasma.models import (
    Collection,
    LabResult,
    LookbackTrigger,
    Shipment,
    ShipmentDiscrepancy,
    ShipmentItem,
    UnitState,
    Visit,
    VisitStatus,
)
from blood.sequences import next_value

INFECTIOUS_MARKERS = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")
TEST_VALUES = ("negative", "reactive")
ADVERSE_REACTIONS = {
    "vasovagal": _l("Vasovagal reaction (fainting, dizziness)"),
    "citrate": _l("Citrate reaction (tingling, cramps)"),
    "haematoma": _l("Haematoma at the needle site"),
    "nerve_injury": _l("Nerve irritation or injury"),
    "other": _l("Other"),
}
DEFAULT_QUARANTINE_DAYS = 90


class DinNotConfigured(DomainError):
    status = 409
    code = "facility_id_missing"
    template = _l(
        "This station has no ISBT 128 facility identification number yet: "
        "ask the administrator to set it before collecting."
    )


def quarantine_days() -> int:
    if has_app_context():
        return int(current_app.config.get("PLASMA_QUARANTINE_DAYS", DEFAULT_QUARANTINE_DAYS))
    return DEFAULT_QUARANTINE_DAYS


def require_station(session: Session, actor: Actor) -> Organisation:
    return acting_organisation(session, actor, OrgKind.PLASMA_STATION)


def local_date_of(moment: datetime, org: Organisation) -> date:
    return moment.astimezone(ZoneInfo(org.timezone)).date()


# --- history for the eligibility engine ----------------------------------------------------


def plasma_donations(session: Session, donor: Donor) -> list[rules.PastDonation]:
    rows = session.exec(
        select(Collection.started_at, Collection.adverse_reaction, Organisation.timezone)
        .join(Organisation, Organisation.id == Collection.station_id)
        .where(Collection.donor_id == donor.id)
    ).all()
    return [
        rules.PastDonation(
            on=started.astimezone(ZoneInfo(tz)).date(),
            kind=rules.DonationKind.PLASMA,
            adverse_reaction=bool(reaction),
        )
        for started, reaction, tz in rows
    ]


donors.HISTORY_SOURCES.append(plasma_donations)


# --- visits: check-in and screening --------------------------------------------------------


def check_in(*, session: Session, actor: Actor, resident_id: str) -> Visit:
    """The donor shows the ID card at every visit: check-in is by resident ID only."""
    require_role(actor, Role.REGISTRAR)
    station = require_station(session, actor)
    if not donors.RESIDENT_ID_RE.match(donors.pii.normalise(resident_id or "")):
        raise ValidationFailed({"resident_id": [_("Scan or type the donor's resident ID card.")]})
    donor = donors.find_donor(session=session, actor=actor, query=resident_id)
    today = donors.local_today(station)
    existing = session.exec(
        select(Visit).where(
            Visit.donor_id == donor.id, Visit.visit_date == today, Visit.station_id == station.id
        )
    ).first()
    if existing is not None:
        if existing.status == VisitStatus.COLLECTED:
            raise Conflict(_l("This donor has already donated today."))
        return existing
    visit = Visit(
        donor_id=donor.id,
        station_id=station.id,
        visit_date=today,
        checked_in_by_id=actor.user_id,
    )
    session.add(visit)
    audit.record(session, actor, "visit.check_in", visit, organisation=station)
    return visit


def get_visit(*, session: Session, actor: Actor, visit_id: int) -> Visit:
    visit = session.exec(
        restrict_to_visible(select(Visit), Visit.station_id, actor).where(Visit.id == visit_id)
    ).first()
    if visit is None:
        raise NotFound()
    return visit


def _own_visit(session: Session, actor: Actor, visit_id: int) -> tuple[Visit, Organisation]:
    station = require_station(session, actor)
    visit = get_visit(session=session, actor=actor, visit_id=visit_id)
    if visit.station_id != station.id:
        raise NotFound()
    return visit, station


def screening_of(visit: Visit) -> rules.Screening:
    return rules.Screening(
        weight_kg=visit.weight_kg,
        systolic=visit.systolic,
        diastolic=visit.diastolic,
        pulse=visit.pulse,
        temperature_c=visit.temperature_c,
        total_protein_g_l=visit.total_protein_g_l,
        alt_u_l=visit.alt_u_l,
        hb_g_l=visit.hb_g_l,
        rapid_tests=dict(visit.rapid_tests or {}),
        questionnaire=dict(visit.questionnaire or {}),
    )


def reasons_to_json(reasons: tuple[rules.Reason, ...]) -> list[dict[str, Any]]:
    return [
        {
            "code": r.code,
            "facts": {k: v.isoformat() if isinstance(v, date) else v for k, v in r.facts.items()},
        }
        for r in reasons
    ]


def record_screening(
    *, session: Session, actor: Actor, visit_id: int, data: rules.Screening
) -> tuple[Visit, rules.Decision]:
    """Record today's health screening and decide; the decision is shown before collection."""
    require_role(actor, Role.PHYSICIAN)
    visit, station = _own_visit(session, actor, visit_id)
    if visit.status == VisitStatus.COLLECTED:
        raise Conflict(_l("This visit's collection is done; screening can no longer change."))
    if visit.visit_date != donors.local_today(station):
        raise Conflict(_l("This visit was on another day; check the donor in again."))
    unanswered = [code for code in rules.QUESTIONNAIRE if code not in data.questionnaire]
    if unanswered:
        raise ValidationFailed({f"questionnaire.{c}": [_("Answer yes or no.")] for c in unanswered})
    donor = session.get(Donor, visit.donor_id)
    decision = donors.assess(
        session=session, actor=actor, donor=donor, screening=data, on=visit.visit_date
    )
    before = audit.snapshot(visit)
    for name in (
        "weight_kg",
        "systolic",
        "diastolic",
        "pulse",
        "temperature_c",
        "total_protein_g_l",
        "alt_u_l",
        "hb_g_l",
    ):
        setattr(visit, name, getattr(data, name))
    visit.rapid_tests = dict(data.rapid_tests or {})
    visit.questionnaire = dict(data.questionnaire or {})
    visit.rule_profile = donors.profile_for(station).code
    visit.reasons = reasons_to_json(decision.reasons)
    visit.next_eligible_on = decision.next_eligible_on
    visit.status = VisitStatus.ELIGIBLE if decision.eligible else VisitStatus.INELIGIBLE
    visit.screened_at = utcnow()
    visit.screened_by_id = actor.user_id
    audit.record(session, actor, "visit.screen", visit, before=before)
    return visit, decision


def decision_of(visit: Visit) -> rules.Decision | None:
    if visit.screened_at is None:
        return None
    reasons = tuple(rules.Reason(r["code"], r.get("facts", {})) for r in visit.reasons)
    return rules.Decision(
        eligible=visit.status in (VisitStatus.ELIGIBLE, VisitStatus.COLLECTED),
        reasons=reasons,
        next_eligible_on=visit.next_eligible_on,
        collection_limit=None,
    )


# --- collection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectionInput:
    machine: str
    kit_lot: str
    started_at: datetime
    ended_at: datetime
    total_weight_g: float
    anticoagulant_ml: float
    adverse_reaction: str | None = None


def record_collection(
    *, session: Session, actor: Actor, visit_id: int, data: CollectionInput
) -> Collection:
    """Collect from an eligible donor; give the unit its DIN. Over the limit: refused."""
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
    if not errors:
        over = rules.check_collection_amount(
            donors.profile_for(station), visit.weight_kg, data.total_weight_g, data.anticoagulant_ml
        )
        if over is not None:
            errors["total_weight_g"] = [describe(over)]
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
    session.add(unit)
    visit.status = VisitStatus.COLLECTED
    audit.record(session, actor, "plasma.collect", unit, organisation=station)
    return unit


def find_unit(*, session: Session, actor: Actor, scanned: str) -> Collection:
    """A unit by its DIN as scanned or typed; a wrong check character is refused."""
    try:
        parsed = isbt128.parse_din(scanned)
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [_("Not a valid DIN: %(why)s", why=str(error))]}) from None
    unit = session.exec(
        restrict_to_visible(select(Collection), Collection.station_id, actor).where(
            Collection.din == parsed.din
        )
    ).first()
    if unit is None:
        raise NotFound()
    return unit


# --- lab results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LabInput:
    din: str
    hbsag: str
    anti_hcv: str
    anti_hiv: str
    syphilis: str
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None


def record_lab_results(
    *, session: Session, actor: Actor, results: list[LabInput]
) -> list[LabResult]:
    """One sample or a batch, all or nothing. A reactive marker marks the unit for
    destruction, defers the donor permanently everywhere and opens a look-back."""
    require_role(actor, Role.LAB)
    station = require_station(session, actor)
    profile = donors.profile_for(station)
    if not results:
        raise ValidationFailed({"results": [_("No results given.")]})
    errors: dict[str, list[str]] = {}
    units: list[Collection] = []
    seen: set[str] = set()
    for index, row in enumerate(results):
        prefix = f"results.{index}." if len(results) > 1 else ""
        try:
            unit = find_unit(session=session, actor=actor, scanned=row.din)
        except ValidationFailed as error:
            errors[f"{prefix}din"] = error.fields["din"]
            continue
        except NotFound:
            errors[f"{prefix}din"] = [_("No unit of this station has this DIN.")]
            continue
        if unit.station_id != station.id:
            errors[f"{prefix}din"] = [_("No unit of this station has this DIN.")]
            continue
        if unit.din in seen:
            errors[f"{prefix}din"] = [_("This DIN appears twice in the batch.")]
            continue
        seen.add(unit.din)
        if session.exec(select(LabResult.id).where(LabResult.collection_id == unit.id)).first():
            errors[f"{prefix}din"] = [_("Results for this DIN were already entered.")]
        for marker in INFECTIOUS_MARKERS:
            if getattr(row, marker) not in TEST_VALUES:
                errors[f"{prefix}{marker}"] = [_("Negative or reactive.")]
        for name in ("total_protein_g_l", "alt_u_l"):
            value = getattr(row, name)
            if value is not None and value < 0:
                errors[f"{prefix}{name}"] = [_("Must be 0 or more.")]
        units.append(unit)
    if errors:
        raise ValidationFailed(errors)

    saved = []
    for row, unit in zip(results, units, strict=True):
        reactive = [m for m in INFECTIOUS_MARKERS if getattr(row, m) == "reactive"]
        out_of_range = (
            row.total_protein_g_l is not None
            and profile.min_total_protein_g_l is not None
            and row.total_protein_g_l < profile.min_total_protein_g_l
        ) or (
            row.alt_u_l is not None
            and profile.max_alt_u_l is not None
            and row.alt_u_l > profile.max_alt_u_l
        )
        outcome = "reactive" if reactive else "out_of_range" if out_of_range else "negative"
        result = LabResult(
            collection_id=unit.id,
            total_protein_g_l=row.total_protein_g_l,
            alt_u_l=row.alt_u_l,
            hbsag=row.hbsag,
            anti_hcv=row.anti_hcv,
            anti_hiv=row.anti_hiv,
            syphilis=row.syphilis,
            outcome=outcome,
            entered_by_id=actor.user_id,
        )
        session.add(result)
        audit.record(session, actor, "plasma.lab_result", result, organisation=station)
        if outcome != "negative":
            _destroy(session, actor, unit, "reactive_marker" if reactive else "out_of_range")
        if reactive:
            donor = session.get(Donor, unit.donor_id)
            donors.defer_donor(
                session=session,
                actor=actor,
                donor=donor,
                permanent=True,
                reason_code="reactive_marker",
                source="lab",
                note=", ".join(reactive) + f" ({unit.din})",
                station=station,
            )
            trigger = LookbackTrigger(donor_id=donor.id, collection_id=unit.id, markers=reactive)
            session.add(trigger)
            audit.record(session, actor, "lookback.trigger", trigger, organisation=station)
        saved.append(result)
    return saved


def _destroy(session: Session, actor: Actor, unit: Collection, reason: str) -> None:
    before = audit.snapshot(unit, ["state", "destroyed_reason"])
    unit.state = UnitState.DESTROYED
    unit.destroyed_reason = reason
    audit.record(session, actor, "plasma.destroy", unit, before=before)


# --- quarantine ----------------------------------------------------------------------------


def _hold_cutoff(station: Organisation, today: date) -> datetime:
    """Units collected before this instant have been held the full quarantine by `today`
    (counted in the station's calendar days)."""
    first_day_too_recent = today - timedelta(days=quarantine_days() - 1)
    local_midnight = datetime.combine(first_day_too_recent, time.min, ZoneInfo(station.timezone))
    return local_midnight.astimezone(UTC)


def _later_negative_exists():
    later = aliased(Collection)
    return (
        select(later.id)
        .join(LabResult, LabResult.collection_id == later.id)
        .where(
            later.donor_id == Collection.donor_id,
            later.started_at > Collection.started_at,
            LabResult.outcome == "negative",
        )
        .exists()
    )


def _own_negative_exists():
    return (
        select(LabResult.id)
        .where(LabResult.collection_id == Collection.id, LabResult.outcome == "negative")
        .exists()
    )


def releasable_clause(station: Organisation, today: date) -> sa.ColumnElement[bool]:
    """SQL for: in quarantine, tested negative, held ≥ 90 days, and a LATER donation of the
    same donor has tested negative too (the 2008 quarantine rule)."""
    return sa.and_(
        Collection.state == UnitState.QUARANTINE,
        _own_negative_exists(),
        Collection.started_at < _hold_cutoff(station, today),
        _later_negative_exists(),
    )


@dataclass(frozen=True)
class Blocker:
    code: str
    facts: dict[str, Any]


BLOCKER_MESSAGES = {
    "not_in_quarantine": _l("Not in quarantine (now %(state)s)."),
    "no_result": _l("No lab result yet."),
    "held_too_short": _l("Held %(days)s of %(required)s days; releasable from %(from_date)s."),
    "no_later_negative": _l("Waiting for a later donation of this donor to test negative."),
}


def release_blockers(
    session: Session, unit: Collection, station: Organisation, today: date
) -> list[Blocker]:
    if unit.state != UnitState.QUARANTINE:
        return [Blocker("not_in_quarantine", {"state": unit.state})]
    blockers = []
    if session.exec(select(LabResult.id).where(LabResult.collection_id == unit.id)).first() is None:
        blockers.append(Blocker("no_result", {}))
    collected_on = local_date_of(unit.started_at, station)
    held = (today - collected_on).days
    if held < quarantine_days():
        blockers.append(
            Blocker(
                "held_too_short",
                {
                    "days": held,
                    "required": quarantine_days(),
                    "from_date": (collected_on + timedelta(days=quarantine_days())).isoformat(),
                },
            )
        )
    later_ok = session.exec(
        select(Collection.id)
        .join(LabResult, LabResult.collection_id == Collection.id)
        .where(
            Collection.donor_id == unit.donor_id,
            Collection.started_at > unit.started_at,
            LabResult.outcome == "negative",
        )
    ).first()
    if later_ok is None:
        blockers.append(Blocker("no_later_negative", {}))
    return blockers


def describe_blocker(blocker: Blocker) -> str:
    return (
        str(BLOCKER_MESSAGES[blocker.code]) % blocker.facts
        if blocker.facts
        else str(BLOCKER_MESSAGES[blocker.code])
    )


def quarantine_overview(
    *, session: Session, actor: Actor, limit: int = 500
) -> list[tuple[Collection, list[Blocker]]]:
    station = require_station(session, actor)
    today = donors.local_today(station)
    units = session.exec(
        select(Collection)
        .where(Collection.station_id == station.id, Collection.state == UnitState.QUARANTINE)
        .order_by(Collection.started_at)
        .limit(limit)
    ).all()
    return [(unit, release_blockers(session, unit, station, today)) for unit in units]


def release_units(
    *, session: Session, actor: Actor, dins: list[str] | None = None
) -> tuple[list[Collection], dict[str, list[Blocker]]]:
    """Release units from quarantine in bulk (all releasable ones when `dins` is None).

    Returns the released units and, for each requested unit that cannot go, why not.
    """
    require_role(actor, Role.QUALITY)
    station = require_station(session, actor)
    today = donors.local_today(station)
    statement = select(Collection).where(Collection.station_id == station.id)
    refused: dict[str, list[Blocker]] = {}
    if dins is None:
        statement = statement.where(releasable_clause(station, today))
    else:
        wanted = []
        for text in dins:
            try:
                wanted.append(isbt128.parse_din(text).din)
            except isbt128.InvalidDin as error:
                raise ValidationFailed({"dins": [f"{text}: {error}"]}) from None
        statement = statement.where(Collection.din.in_(wanted))
    units = session.exec(statement.order_by(Collection.din).with_for_update()).all()
    if dins is not None:
        found = {u.din for u in units}
        for din in set(wanted) - found:
            refused[din] = [Blocker("not_in_quarantine", {"state": "unknown"})]
    released = []
    for unit in units:
        blockers = release_blockers(session, unit, station, today)
        if blockers:
            refused[unit.din] = blockers
            continue
        before = audit.snapshot(unit, ["state", "released_at"])
        unit.state = UnitState.RELEASED
        unit.released_at = utcnow()
        unit.released_by_id = actor.user_id
        audit.record(session, actor, "plasma.release", unit, before=before)
        released.append(unit)
    return released, refused


# --- inventory -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryRow:
    state: str
    blood_group: str
    units: int
    weight_g: float


def inventory(*, session: Session, actor: Actor) -> list[InventoryRow]:
    """Plasma by state (quarantine, releasable, released, shipped, destroyed) and group."""
    station = require_station(session, actor)
    today = donors.local_today(station)
    state = sa.case(
        (releasable_clause(station, today), sa.literal("releasable")), else_=Collection.state
    ).label("state")
    group = (func.coalesce(Collection.abo, "") + func.coalesce(Collection.rhd, "")).label("grp")
    rows = session.exec(
        select(state, group, func.count(), func.sum(Collection.total_weight_g))
        .where(Collection.station_id == station.id)
        .group_by(state, group)
    ).all()
    order = ["quarantine", "releasable", "released", "shipped", "destroyed"]
    result = [InventoryRow(s, g or "?", int(n), float(w or 0)) for s, g, n, w in rows]
    return sorted(result, key=lambda r: (order.index(r.state), r.blood_group))


# --- shipments -----------------------------------------------------------------------------


def manufacturers(session: Session) -> list[Organisation]:
    """Any active manufacturer may receive plasma; only code and name are shown to stations."""
    return list(
        session.exec(
            select(Organisation)
            .where(Organisation.kind == OrgKind.MANUFACTURER, Organisation.active)
            .order_by(Organisation.code)
        ).all()
    )


def build_shipment(
    *,
    session: Session,
    actor: Actor,
    manufacturer_code: str,
    dins: list[str],
    box_size: int = 24,
) -> Shipment:
    """Ship released units in boxes; each unit ships once, even under concurrent requests."""
    require_role(actor, Role.QUALITY)
    station = require_station(session, actor)
    errors: dict[str, list[str]] = {}
    manufacturer = session.exec(
        select(Organisation).where(
            Organisation.code == (manufacturer_code or "").strip().upper(),
            Organisation.kind == OrgKind.MANUFACTURER,
            Organisation.active,
        )
    ).first()
    if manufacturer is None:
        errors["manufacturer_code"] = [_("Choose a manufacturer from the list.")]
    if not 1 <= box_size <= 200:
        errors["box_size"] = [_("Between 1 and 200 units a box.")]
    wanted: list[str] = []
    bad: list[str] = []
    for text in dins:
        try:
            wanted.append(isbt128.parse_din(text).din)
        except isbt128.InvalidDin:
            bad.append(text)
    if bad:
        errors["dins"] = [_("Not valid DINs: %(dins)s", dins=", ".join(bad))]
    elif not wanted:
        errors["dins"] = [_("Choose at least one released unit.")]
    elif len(set(wanted)) != len(wanted):
        errors["dins"] = [_("A DIN is listed twice.")]
    if errors:
        raise ValidationFailed(errors)

    units = session.exec(
        select(Collection)
        .where(Collection.station_id == station.id, Collection.din.in_(wanted))
        .order_by(Collection.din)
        .with_for_update()
    ).all()
    by_din = {u.din: u for u in units}
    not_shippable = [d for d in wanted if d not in by_din or by_din[d].state != UnitState.RELEASED]
    if not_shippable:
        raise ValidationFailed(
            {
                "dins": [
                    _("Not released, or already shipped: %(dins)s", dins=", ".join(not_shippable))
                ]
            }
        )
    # The conditional update is the guard against a concurrent shipment of the same units.
    updated = session.execute(
        sa.update(Collection)
        .where(Collection.id.in_([u.id for u in units]), Collection.state == UnitState.RELEASED)
        .values(state=UnitState.SHIPPED)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != len(units):
        raise Conflict(_l("Some of these units were shipped meanwhile; reload and try again."))
    number = f"{station.code}-S{next_value(session, f'shipment:{station.id}'):05d}"
    shipment = Shipment(
        number=number,
        station_id=station.id,
        manufacturer_id=manufacturer.id,
        shipped_by_id=actor.user_id,
    )
    session.add(shipment)
    session.flush()
    for index, din in enumerate(wanted):
        session.add(
            ShipmentItem(
                shipment_id=shipment.id,
                collection_id=by_din[din].id,
                box_label=f"B{index // box_size + 1:02d}",
            )
        )
    for unit in units:
        session.refresh(unit)
    audit.record(
        session,
        actor,
        "plasma.ship",
        shipment,
        organisation=station,
        changes={"number": [None, number], "dins": [None, wanted], "to": [None, manufacturer.code]},
    )
    return shipment


def _visible_shipments(actor: Actor):
    """The sending station (and authorities above it) and the receiving manufacturer."""
    if actor.is_system:
        return select(Shipment)
    visible = visible_org_ids(actor)
    return select(Shipment).where(
        sa.or_(Shipment.station_id.in_(visible), Shipment.manufacturer_id.in_(visible))
    )


def list_shipments(*, session: Session, actor: Actor) -> list[Shipment]:
    return list(session.exec(_visible_shipments(actor).order_by(Shipment.shipped_at.desc())).all())


def get_shipment(*, session: Session, actor: Actor, shipment_id: int) -> Shipment:
    shipment = session.exec(_visible_shipments(actor).where(Shipment.id == shipment_id)).first()
    if shipment is None:
        raise NotFound()
    return shipment


def shipment_items(session: Session, shipment: Shipment) -> list[tuple[ShipmentItem, Collection]]:
    return list(
        session.exec(
            select(ShipmentItem, Collection)
            .join(Collection, Collection.id == ShipmentItem.collection_id)
            .where(ShipmentItem.shipment_id == shipment.id)
            .order_by(ShipmentItem.box_label, Collection.din)
        ).all()
    )


@dataclass(frozen=True)
class DiscrepancyInput:
    kind: str
    din: str
    note: str | None = None


def confirm_receipt(
    *,
    session: Session,
    actor: Actor,
    shipment_id: int,
    discrepancies: list[DiscrepancyInput],
    received_by: str | None = None,
    note: str | None = None,
) -> Shipment:
    """The manufacturer confirms receipt once, reporting missing, damaged or extra units."""
    require_role(actor, Role.RECEIVING_CLERK)
    shipment = get_shipment(session=session, actor=actor, shipment_id=shipment_id)
    if actor.organisation_id != shipment.manufacturer_id:
        raise Forbidden()
    if shipment.status != "shipped":
        raise Conflict(_l("This shipment's receipt was already confirmed."))
    items = {unit.din: item for item, unit in shipment_items(session, shipment)}
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[DiscrepancyInput, str]] = []
    for index, entry in enumerate(discrepancies):
        key = f"discrepancies.{index}"
        try:
            din = isbt128.parse_din(entry.din).din
        except isbt128.InvalidDin as error:
            errors[f"{key}.din"] = [str(error)]
            continue
        if entry.kind not in ("missing", "damaged", "extra"):
            errors[f"{key}.kind"] = [_("Missing, damaged or extra.")]
        elif entry.kind == "extra" and din in items:
            errors[f"{key}.din"] = [_("This unit is on the shipment list, so it is not extra.")]
        elif entry.kind != "extra" and din not in items:
            errors[f"{key}.din"] = [_("This unit is not on the shipment list.")]
        parsed.append((entry, din))
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(shipment, ["status", "received_at"])
    problems = {din: entry.kind for entry, din in parsed if entry.kind != "extra"}
    for din, item in items.items():
        item.receipt_status = problems.get(din, "ok")
    for entry, din in parsed:
        session.add(
            ShipmentDiscrepancy(
                shipment_id=shipment.id, kind=entry.kind, din=din, note=(entry.note or None)
            )
        )
    shipment.status = "received"
    shipment.received_at = utcnow()
    shipment.received_by = (received_by or actor.name)[:100]
    shipment.receipt_note = (note or "").strip()[:500] or None
    audit.record(
        session,
        actor,
        "plasma.shipment_receipt",
        shipment,
        before=before,
        organisation=session.get(Organisation, shipment.station_id),
    )
    return shipment


def discrepancies_of(session: Session, shipment: Shipment) -> list[ShipmentDiscrepancy]:
    return list(
        session.exec(
            select(ShipmentDiscrepancy).where(ShipmentDiscrepancy.shipment_id == shipment.id)
        ).all()
    )
