"""Donor registry and the shared deferral registry.

One donor, one station: a donor is registered once in the whole system, at the station whose
designated area covers their household registration, and donates only there. Deferrals are
shared: one recorded at any station blocks the donor at every station at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from blood import audit, pii
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import (
    Actor,
    acting_organisation,
    require_role,
    restrict_to_visible,
)
from blood.db import utcnow
from blood.donors import rules
from blood.donors.models import Deferral, DesignatedArea, Donor
from blood.errors import Conflict, DomainError, NotFound, ValidationFailed
from blood.sequences import next_value

COLLECTING_KINDS = (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE)
DEFAULT_PROFILE = {OrgKind.PLASMA_STATION: "cn-plasma", OrgKind.BLOOD_CENTRE: "cn-whole-blood"}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}\d{7,8})$")
RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$")


class AlreadyRegistered(DomainError):
    status = 409
    code = "already_registered"
    template = _l("This person is already registered here, card number %(card_number)s.")


class RegisteredElsewhere(DomainError):
    status = 409
    code = "registered_elsewhere"
    template = _l(
        "Donor %(resident_id)s is registered at %(station)s: "
        "a donor may donate only at the station of their area."
    )


class PermanentDeferral(DomainError):
    status = 409
    code = "permanent_deferral"
    template = _l("A permanent deferral cannot be lifted.")


# --- time and profiles -------------------------------------------------------------------


def local_today(org: Organisation, now: datetime | None = None) -> date:
    """Today in the organisation's time zone: what "the day of the visit" means there."""
    return (now or utcnow()).astimezone(ZoneInfo(org.timezone)).date()


def profile_for(org: Organisation) -> rules.Profile:
    """The organisation's rule profile, with the deployment's overrides of unconfirmed figures
    (``RULE_PROFILE_OVERRIDES = {"cn-plasma": {"max_alt_u_l": 40}}`` in instance/config.py)."""
    code = org.rule_profile or DEFAULT_PROFILE.get(OrgKind(org.kind), "cn-plasma")
    profile = rules.get_profile(code)
    overrides = {}
    if has_app_context():
        overrides = current_app.config.get("RULE_PROFILE_OVERRIDES", {}).get(code, {})
    return replace(profile, **overrides) if overrides else profile


def require_collecting_org(session: Session, actor: Actor) -> Organisation:
    return acting_organisation(session, actor, *COLLECTING_KINDS)


# --- designated areas --------------------------------------------------------------------


def area_covers(area_code: str, region: str) -> bool:
    """A province code (XX0000) covers its whole province, a city code (XXXX00) its city,
    a county code itself."""
    if area_code.endswith("0000"):
        return region[:2] == area_code[:2]
    if area_code.endswith("00"):
        return region[:4] == area_code[:4]
    return region == area_code


def stations_covering(session: Session, region: str) -> list[Organisation]:
    rows = session.exec(
        select(Organisation, DesignatedArea.division_code)
        .join(DesignatedArea, DesignatedArea.station_id == Organisation.id)
        .where(Organisation.kind == OrgKind.PLASMA_STATION, Organisation.active)
        .where(DesignatedArea.division_code.in_(_candidate_areas(region)))
    ).all()
    found: dict[int, Organisation] = {}
    for org, code in rows:
        if area_covers(code, region):
            found[org.id] = org
    return list(found.values())


def _candidate_areas(region: str) -> list[str]:
    return [region, region[:4] + "00", region[:2] + "0000"]


def set_designated_area(
    *, session: Session, actor: Actor, station: Organisation, division_codes: list[str]
) -> None:
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
    bad = [c for c in division_codes if not re.fullmatch(r"\d{6}", c)]
    if bad:
        raise ValidationFailed(
            {"division_codes": [_("Not a 6-digit division code: %(codes)s", codes=", ".join(bad))]}
        )
    before = sorted(
        session.exec(
            select(DesignatedArea.division_code).where(DesignatedArea.station_id == station.id)
        ).all()
    )
    session.execute(sa.delete(DesignatedArea).where(DesignatedArea.station_id == station.id))
    for code in sorted(set(division_codes)):
        session.add(DesignatedArea(station_id=station.id, division_code=code))
    audit.record(
        session,
        actor,
        "station.designated_area",
        entity_type="organisation",
        entity_id=station.id,
        organisation=station,
        changes={"division_codes": [before, sorted(set(division_codes))]},
    )


# --- resident IDs ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str
    region: str


def parse_resident_id(value: str, *, today: date) -> ResidentId:
    """Validate a Chinese resident ID (checksum, birth date, region) with python-stdnum."""
    number = pii.normalise(value)
    try:
        number = ric.validate(number)
    except stdnum_errors.InvalidChecksum:
        raise ValidationFailed(
            {"resident_id": [_("The check character is wrong: mistyped?")]}
        ) from None
    except stdnum_errors.InvalidLength:
        raise ValidationFailed({"resident_id": [_("A resident ID has 18 characters.")]}) from None
    except stdnum_errors.InvalidFormat:
        raise ValidationFailed({"resident_id": [_("17 digits, then a digit or X.")]}) from None
    except stdnum_errors.ValidationError:
        raise ValidationFailed(
            {"resident_id": [_("Unknown region code or impossible birth date.")]}
        ) from None
    birth_date = ric.get_birth_date(number)
    if birth_date > today:
        raise ValidationFailed({"resident_id": [_("The birth date in this ID is in the future.")]})
    sex = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth_date, sex=sex, region=number[:6])


def resident_id_key(number: str) -> str:
    return pii.vault().lookup_key(number, purpose="resident_id")


# --- registration ------------------------------------------------------------------------


@dataclass(frozen=True)
class DonorRegistration:
    resident_id: str
    name: str
    sex: str | None = None
    birth_date: date | None = None
    household_region: str | None = None
    phone: str | None = None
    address: str | None = None
    abo: str | None = None
    rhd: str | None = None


def register_donor(*, session: Session, actor: Actor, data: DonorRegistration) -> Donor:
    """Register a donor at the actor's station; one donor per resident ID system-wide."""
    require_role(actor, Role.REGISTRAR)
    station = require_collecting_org(session, actor)
    person = parse_resident_id(data.resident_id, today=local_today(station))
    errors: dict[str, list[str]] = {}
    if data.sex and data.sex != person.sex:
        errors["sex"] = [_("The resident ID says otherwise.")]
    if data.birth_date and data.birth_date != person.birth_date:
        errors["birth_date"] = [
            _("The resident ID gives %(date)s.", date=person.birth_date.isoformat())
        ]
    region = data.household_region or person.region
    if not re.fullmatch(r"\d{6}", region):
        errors["household_region"] = [_("A division code is 6 digits (GB/T 2260).")]
    if data.phone and not PHONE_RE.match(pii.normalise(data.phone)):
        errors["phone"] = [_("A mobile number (11 digits) or a landline with its area code.")]
    if not data.name.strip():
        errors["name"] = [_("Required.")]
    if errors:
        raise ValidationFailed(errors)

    key = resident_id_key(person.number)
    _refuse_if_registered(session, key, station, person.number)
    if OrgKind(station.kind) == OrgKind.PLASMA_STATION:
        _require_designated_area(session, station, region)

    vault = pii.vault()
    phone = pii.normalise(data.phone) if data.phone else None
    donor = Donor(
        station_id=station.id,
        card_number=f"{station.code}-{next_value(session, f'donor-card:{station.id}'):06d}",
        resident_id_key=key,
        resident_id_masked=pii.mask_resident_id(person.number),
        resident_id_enc=vault.encrypt(person.number),
        name=data.name.strip(),
        sex=person.sex,
        birth_date=person.birth_date,
        household_region=region,
        phone_key=vault.lookup_key(phone, purpose="phone") if phone else None,
        phone_masked=pii.mask_phone(phone) if phone else None,
        phone_enc=vault.encrypt(phone) if phone else None,
        address_enc=vault.encrypt(data.address.strip()) if data.address else None,
        abo=data.abo or None,
        rhd=data.rhd or None,
        registered_by_id=actor.user_id,
    )
    try:
        # A savepoint: if another clerk registered the same ID a moment ago, only this
        # insert is undone and the refusal below names their registration.
        with session.begin_nested():
            session.add(donor)
            session.flush()
    except sa.exc.IntegrityError:
        _refuse_if_registered(session, key, station, person.number)
        raise
    audit.record(session, actor, "donor.register", donor, organisation=station)
    return donor


def _refuse_if_registered(session: Session, key: str, station: Organisation, number: str) -> None:
    existing = session.exec(select(Donor).where(Donor.resident_id_key == key)).first()
    if existing is None:
        return
    if existing.station_id == station.id:
        raise AlreadyRegistered(card_number=existing.card_number)
    home = session.get(Organisation, existing.station_id)
    raise RegisteredElsewhere(
        resident_id=pii.mask_resident_id(number), station=home.name_zh, station_code=home.code
    )


class OutsideDesignatedArea(ValidationFailed):
    code = "outside_designated_area"


def _require_designated_area(session: Session, station: Organisation, region: str) -> None:
    areas = session.exec(
        select(DesignatedArea.division_code).where(DesignatedArea.station_id == station.id)
    ).all()
    if any(area_covers(code, region) for code in areas):
        return
    others = [s for s in stations_covering(session, region) if s.id != station.id]
    if others:
        message = _(
            "Household registration %(region)s is in the area of %(station)s, not this station's.",
            region=region,
            station=others[0].name_zh,
        )
    else:
        message = _(
            "Household registration %(region)s is outside this station's designated area.",
            region=region,
        )
    raise OutsideDesignatedArea({"household_region": [message]})


# --- look-up -----------------------------------------------------------------------------


def find_donor(*, session: Session, actor: Actor, query: str) -> Donor:
    """By resident ID (scanned or typed) or card number, within the actor's scope.

    A donor registered at another station is reported as such (station only), because the
    registrar needs to send the person there; nothing else about them is revealed.
    """
    text = pii.normalise(query or "")
    if not text:
        raise NotFound()
    if RESIDENT_ID_RE.match(text):
        donor = session.exec(
            select(Donor).where(Donor.resident_id_key == resident_id_key(text))
        ).first()
    else:
        card = (query or "").strip().upper()
        donor = session.exec(select(Donor).where(Donor.card_number == card)).first()
    if donor is None:
        raise NotFound()
    visible = session.exec(
        restrict_to_visible(select(Donor.id), Donor.station_id, actor).where(Donor.id == donor.id)
    ).first()
    if visible is None:
        if RESIDENT_ID_RE.match(text):
            home = session.get(Organisation, donor.station_id)
            raise RegisteredElsewhere(
                resident_id=donor.resident_id_masked, station=home.name_zh, station_code=home.code
            )
        raise NotFound()
    return donor


def find_registered(*, session: Session, query: str) -> Donor | None:
    """Unscoped look-up by resident ID, for the cross-station rules only (one donor, one
    station; shared deferrals): callers reveal the rule's outcome, never the record."""
    text = pii.normalise(query or "")
    if not RESIDENT_ID_RE.match(text):
        return None
    return session.exec(select(Donor).where(Donor.resident_id_key == resident_id_key(text))).first()


def get_donor(*, session: Session, actor: Actor, donor_id: int) -> Donor:
    donor = session.exec(
        restrict_to_visible(select(Donor), Donor.station_id, actor).where(Donor.id == donor_id)
    ).first()
    if donor is None:
        raise NotFound()
    return donor


def reveal_contact(donor: Donor) -> dict[str, str | None]:
    """The decrypted phone and address, for the donor's own station's staff."""
    vault = pii.vault()
    return {
        "phone": vault.decrypt(donor.phone_enc) if donor.phone_enc else None,
        "address": vault.decrypt(donor.address_enc) if donor.address_enc else None,
    }


# --- deferrals ---------------------------------------------------------------------------

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


def lift_deferral(*, session: Session, actor: Actor, deferral_id: int, reason: str) -> Deferral:
    """Only a physician or the quality manager may lift a temporary deferral; audited."""
    require_role(actor, Role.PHYSICIAN, Role.QUALITY)
    deferral = session.get(Deferral, deferral_id)
    if deferral is None:
        raise NotFound()
    get_donor(session=session, actor=actor, donor_id=deferral.donor_id)  # scope check
    if deferral.permanent:
        raise PermanentDeferral()
    if deferral.lifted_at is not None:
        raise Conflict(_l("This deferral was already lifted."))
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


# --- eligibility -------------------------------------------------------------------------

# Other packages (plasma, and later whole blood) add functions that list a donor's past
# donations as rules.PastDonation, so the history covers every station and every kind.
HISTORY_SOURCES: list[Any] = []


def donor_history(session: Session, donor: Donor) -> rules.History:
    donations: list[rules.PastDonation] = []
    for source in HISTORY_SOURCES:
        donations.extend(source(session, donor))
    deferrals = tuple(
        rules.DeferralFact(permanent=d.permanent, ends_on=d.ends_on, reason_code=d.reason_code)
        for d in deferrals_of(session, donor)
        if d.lifted_at is None
    )
    return rules.History(
        donations=tuple(sorted(donations, key=lambda d: d.on)), deferrals=deferrals
    )


def assess(
    *,
    session: Session,
    actor: Actor,
    donor: Donor,
    screening: rules.Screening,
    on: date | None = None,
) -> rules.Decision:
    """The engine's decision for this donor at the actor's station, with the whole history."""
    station = require_collecting_org(session, actor)
    profile = profile_for(station)
    on = on or local_today(station)
    decision = rules.decide(
        profile,
        rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        screening,
        donor_history(session, donor),
        on,
    )
    if donor.station_id != station.id and OrgKind(station.kind) == OrgKind.PLASMA_STATION:
        home = session.get(Organisation, donor.station_id)
        elsewhere = rules.Reason("registered_elsewhere", {"station": home.name_zh})
        decision = replace(
            decision, eligible=False, reasons=(*decision.reasons, elsewhere), next_eligible_on=None
        )
    return decision


def history_blockers(
    *, session: Session, station: Organisation, donor: Donor, on: date
) -> rules.Decision:
    """What the history alone says today (deferrals, intervals, frequency, age): shown on the
    donor page before anyone is measured. Missing-measurement reasons are left out."""
    decision = rules.decide(
        profile_for(station),
        rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        rules.Screening(),
        donor_history(session, donor),
        on,
    )
    reasons = tuple(r for r in decision.reasons if r.code != "measurement_missing")
    return replace(
        decision,
        eligible=not reasons,
        reasons=reasons,
        next_eligible_on=decision.next_eligible_on if reasons else on,
    )


def assess_new_person(
    *, session: Session, actor: Actor, resident_id: str, screening: rules.Screening, on: date | None
) -> rules.Decision:
    """For someone not registered yet: facts from the ID, an empty history."""
    station = require_collecting_org(session, actor)
    on = on or local_today(station)
    person = parse_resident_id(resident_id, today=on)
    return rules.decide(
        profile_for(station),
        rules.DonorFacts(sex=person.sex, birth_date=person.birth_date),
        screening,
        rules.History(),
        on,
    )
