"""The shared deferral registry: a deferral recorded at any station blocks the donor at every
station at once."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role
from blood.db import utcnow
from blood.donors.models import DEFERRAL_REASON_CODES, Deferral, Donor
from blood.donors.service.collecting import local_today, require_collecting_org
from blood.donors.service.registry import get_donor
from blood.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed


class PermanentDeferral(DomainError):
    status = 409
    code = "permanent_deferral"
    template = _l("A permanent deferral cannot be lifted.")


DEFERRAL_REASONS = {
    "reactive_marker": _l("Reactive infectious-marker test"),
    "low_protein": _l("Total protein too low"),
    "high_alt": _l("ALT too high"),
    "low_hb": _l("Haemoglobin too low"),
    "blood_pressure": _l("Blood pressure out of range"),
    "recent_illness": _l("Recent illness or fever"),
    "medication": _l("Medication"),
    "tattoo_piercing": _l("Tattoo, piercing or acupuncture"),
    "pregnancy": _l("Pregnancy or recent birth"),
    "adverse_reaction": _l("Adverse reaction to donation"),
    "high_risk_behaviour": _l("Behaviour at risk of blood-borne infection"),
    "other": _l("Other (see note)"),
}
assert set(DEFERRAL_REASONS) == set(DEFERRAL_REASON_CODES)


def defer_donor(
    *,
    session: Session,
    actor: Actor,
    donor: Donor,
    permanent: bool,
    reason_code: str,
    source: str,
    ends_on: date | None = None,
    note: str | None = None,
    station: Organisation | None = None,
) -> Deferral:
    """Record a deferral; it blocks the donor at every station from now on."""
    if source == "manual":
        require_role(actor, Role.PHYSICIAN, Role.QUALITY)
    station = station or require_collecting_org(session, actor)
    today = local_today(station)
    errors: dict[str, list[str]] = {}
    if reason_code not in DEFERRAL_REASONS:
        errors["reason_code"] = [_("Choose a reason from the list.")]
    if not permanent and (ends_on is None or ends_on <= today):
        errors["ends_on"] = [_("A temporary deferral needs an end date after today.")]
    if errors:
        raise ValidationFailed(errors)
    deferral = Deferral(
        donor_id=donor.id,
        permanent=permanent,
        starts_on=today,
        ends_on=None if permanent else ends_on,
        reason_code=reason_code,
        source=source,
        station_id=station.id,
        note=(note or "").strip() or None,
        created_by_id=actor.user_id,
    )
    session.add(deferral)
    audit.record(session, actor, "donor.defer", deferral, organisation=station)
    return deferral


def record_deferral(
    *,
    session: Session,
    actor: Actor,
    donor_id: int,
    permanent: bool,
    reason_code: str,
    ends_on: date | None = None,
    note: str | None = None,
) -> Deferral:
    """A physician's or the quality manager's deferral of a donor in their scope, from the
    donor page; it blocks the donor at every station from now on."""
    donor = get_donor(session=session, actor=actor, donor_id=donor_id)
    return defer_donor(
        session=session,
        actor=actor,
        donor=donor,
        permanent=permanent,
        reason_code=reason_code,
        source="manual",
        ends_on=ends_on,
        note=note,
    )


def get_deferral(*, session: Session, actor: Actor, deferral_id: int) -> Deferral:
    """A deferral of a donor in the actor's scope (not found otherwise)."""
    deferral = session.get(Deferral, deferral_id)
    if deferral is None:
        raise NotFound()
    get_donor(session=session, actor=actor, donor_id=deferral.donor_id)  # scope check
    return deferral


class NotYourDeferral(DomainError):
    status = 403
    code = "not_your_deferral"
    template = _l(
        "Only the organisation that recorded this deferral may lift it: ask %(organisation)s."
    )


def lift_refusal(session: Session, actor: Actor, deferral: Deferral) -> DomainError | None:
    """Why ``actor`` may not lift ``deferral``, or None when they may: a temporary deferral,
    not lifted yet, by a physician or the quality manager of the organisation that recorded
    it (who knows why). The donor page offers the button when this is None; ``lift_deferral``
    raises it otherwise."""
    if not actor.has_role(Role.PHYSICIAN, Role.QUALITY):
        return Forbidden()
    if not actor.is_system and actor.organisation_id != deferral.station_id:
        recorder = session.get(Organisation, deferral.station_id)
        return NotYourDeferral(organisation=recorder.name_zh if recorder else "")
    if deferral.permanent:
        return PermanentDeferral()
    if deferral.lifted_at is not None:
        return Conflict(_l("This deferral was already lifted."))
    return None


def lift_deferral(*, session: Session, actor: Actor, deferral_id: int, reason: str) -> Deferral:
    """Lift a temporary deferral (see ``lift_refusal``), saying why; audited."""
    require_role(actor, Role.PHYSICIAN, Role.QUALITY)
    deferral = get_deferral(session=session, actor=actor, deferral_id=deferral_id)
    refusal = lift_refusal(session, actor, deferral)
    if refusal is not None:
        raise refusal
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say why the deferral is lifted.")]})
    before = audit.snapshot(deferral)
    deferral.lifted_at = utcnow()
    deferral.lifted_by_id = actor.user_id
    deferral.lift_reason = reason.strip()
    audit.record(session, actor, "donor.lift_deferral", deferral, before=before)
    return deferral


def deferrals_of(session: Session, donor: Donor) -> list[Deferral]:
    return list(
        session.exec(
            select(Deferral).where(Deferral.donor_id == donor.id).order_by(Deferral.created_at)
        ).all()
    )
