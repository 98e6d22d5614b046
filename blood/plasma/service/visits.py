"""Visits: check-in by resident ID, the health screening and its decision, and what the
front desk and the visit page show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty, require_role, restrict_to_visible
from blood.db import utcnow
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.plasma.models import Collection, Visit, VisitStatus
from blood.plasma.service.next_step import NextStep, visit_next_step
from blood.plasma.service.station import require_station

CHECK_IN = Duty((Role.REGISTRAR,))  # who checks donors in


class NotRegistered(NotFound):
    """Check-in of a resident ID the registry does not know (here)."""

    template = _l("Not registered yet: register the donor first.")


def check_in(*, session: Session, actor: Actor, resident_id: str) -> Visit:
    """The donor shows the ID card at every visit: check-in is by resident ID only.

    Refused, writing nothing, for a donor registered at another station (one donor, one
    station) and for a donor whose age the station's profile does not accept today (with the
    whole history: an established donor keeps the extended upper age).
    """
    CHECK_IN.require(actor)
    station = require_station(session, actor)
    if not donors.RESIDENT_ID_RE.match(donors.pii.normalise(resident_id or "")):
        raise ValidationFailed({"resident_id": [_("Scan or type the donor's resident ID card.")]})
    try:
        donor = donors.find_donor(session=session, actor=actor, query=resident_id)
    except NotFound:
        raise NotRegistered() from None
    if donor.station_id != station.id:
        home = session.get(Organisation, donor.station_id)
        raise donors.RegisteredElsewhere(
            resident_id=donor.resident_id_masked, station=home.name_zh, station_code=home.code
        )
    today = donors.local_today(station)
    donors.check_donor_age(session=session, organisation=station, donor=donor, on=today)
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
    visit.rule_profile = donors.profile_for(session, station).code
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


# --- what the front desk and the visit page show --------------------------------------------


def visits_today(*, session: Session, actor: Actor) -> list[tuple[Visit, Donor]]:
    """Today's visits at the actor's station with their donors, the latest check-in first."""
    station = require_station(session, actor)
    today = donors.local_today(station)
    return list(
        session.exec(
            select(Visit, Donor)
            .join(Donor, Donor.id == Visit.donor_id)
            .where(Visit.station_id == station.id, Visit.visit_date == today)
            .order_by(Visit.checked_in_at.desc())
        ).all()
    )


def donor_visits(*, session: Session, actor: Actor, donor: Donor) -> list[Visit]:
    """Every visit of a donor (as ``donors.get_donor`` gave it) at a station the actor sees,
    latest first."""
    return list(
        session.exec(
            restrict_to_visible(select(Visit), Visit.station_id, actor)
            .where(Visit.donor_id == donor.id)
            .order_by(Visit.visit_date.desc())
        ).all()
    )


def visit_unit(*, session: Session, actor: Actor, visit: Visit) -> Collection | None:
    """The unit collected at this visit, if any."""
    return session.exec(select(Collection).where(Collection.visit_id == visit.id)).first()


@dataclass(frozen=True)
class VisitOverview:
    visit: Visit
    donor: Donor
    station: Organisation
    unit: Collection | None  # once collected
    decision: rules.Decision | None  # once screened
    limit: rules.CollectionLimit | None  # the most that may be collected, once weighed
    next_step: NextStep  # where the visit stands, what comes next and who takes it


def visit_overview(*, session: Session, actor: Actor, visit_id: int) -> VisitOverview:
    """A visit at the actor's station with everything its page shows."""
    station = require_station(session, actor)
    visit = get_visit(session=session, actor=actor, visit_id=visit_id)
    profile = donors.profile_for(session, station)
    unit = visit_unit(session=session, actor=actor, visit=visit)
    return VisitOverview(
        visit=visit,
        donor=session.get(Donor, visit.donor_id),
        station=station,
        unit=unit,
        decision=decision_of(visit),
        limit=rules.collection_limit(profile, visit.weight_kg) if visit.weight_kg else None,
        next_step=visit_next_step(session=session, actor=actor, visit=visit, unit=unit),
    )
