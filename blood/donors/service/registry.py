"""The donor registry: resident IDs, registration (one donor per resident ID, system-wide) and
look-up within the actor's scope.

A donor is in an organisation's scope when registered there (or below it, for authorities),
or when they have donated there: a blood centre opens the page of a donor who gave whole
blood there although a plasma station registered them. Anyone else's donor is not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from blood import audit, pii, settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, Duty, restrict_to_visible, visible_org_ids
from blood.donors import rules
from blood.donors.models import Donor
from blood.donors.service.age import refuse_by_age
from blood.donors.service.areas import require_designated_area
from blood.donors.service.collecting import local_today, require_collecting_org
from blood.donors.service.sources import organisations_donated_at
from blood.errors import DomainError, NotFound, ValidationFailed
from blood.sequences import next_value

REGISTER = Duty((Role.REGISTRAR,))  # who registers donors

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


# --- resident IDs ------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str
    region: str


# What GB/T 2260 says of a region code for someone born in a given year.
REGION_IN_USE, REGION_UNKNOWN, REGION_RETIRED = "in_use", "unknown", "retired"


def region_status(code: str, birth_year: int) -> tuple[str, int | None]:
    """Whether a resident ID's region code can be genuine for someone born in ``birth_year``:
    ``(REGION_IN_USE, None)``, ``(REGION_UNKNOWN, None)`` or ``(REGION_RETIRED, last year)``.

    An ID number is assigned where the card is first issued, often years after the birth (a
    Jiande resident born in 1990 carries 330182, in use since 1992), so a code in use at any
    time from the birth year on is genuine; only a code GB/T 2260 never had, or one retired
    before the birth year, is not. python-stdnum's table (``cn/loc``) holds each county code
    with the years it was in use, ``[start-end]name``, one entry per use of the code.
    """
    found = numdb.get("cn/loc").info(code)
    info = {key: value for _part, props in found for key, value in props.items()}
    counties = info.get("county")
    if not counties:
        return REGION_UNKNOWN, None
    last_years = []
    for entry in counties.split(","):
        if not entry.startswith("["):
            return REGION_IN_USE, None
        span = entry[1:].split("]", 1)[0]
        _start, _dash, end = span.partition("-")
        if not end or int(end) >= birth_year:
            return REGION_IN_USE, None
        last_years.append(int(end))
    return REGION_RETIRED, max(last_years)


def _refuse_resident_id(message: str) -> ValidationFailed:
    return ValidationFailed({"resident_id": [message]})


def parse_resident_id(value: str, *, today: date) -> ResidentId:
    """Validate a Chinese resident ID: length, format, the ISO 7064 check character and the
    birth date with python-stdnum, and the region code against GB/T 2260 (``region_status``)."""
    number = ric.compact(pii.normalise(value or ""))
    if len(number) != 18:
        raise _refuse_resident_id(_("A resident ID has 18 characters."))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise _refuse_resident_id(_("17 digits, then a digit or X."))
    if number[17] != ric.calc_check_digit(number):
        raise _refuse_resident_id(_("The check character is wrong: mistyped?"))
    try:
        birth_date = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise _refuse_resident_id(_("The birth date in this ID is impossible: mistyped?")) from None
    if birth_date > today:
        raise _refuse_resident_id(_("The birth date in this ID is in the future."))
    region = number[:6]
    status, retired = region_status(region, birth_date.year)
    if status == REGION_UNKNOWN:
        raise _refuse_resident_id(
            _("Region code %(region)s is unknown to GB/T 2260: mistyped?", region=region)
        )
    if status == REGION_RETIRED:
        raise _refuse_resident_id(
            _(
                "Region code %(region)s was retired in %(year)s, before this birth date: mistyped?",
                region=region,
                year=retired,
            )
        )
    sex = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth_date, sex=sex, region=region)


def resident_id_key(session: Session, number: str) -> str:
    return settings.of(session).vault.lookup_key(number, purpose="resident_id")


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
    REGISTER.require(actor)
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
    if bool(data.abo) != bool(data.rhd):
        # A half-known group ("A", RhD unknown) would be shown and labelled as if known.
        errors["abo" if not data.abo else "rhd"] = [_("Give both ABO and RhD, or neither.")]
    if errors:
        raise ValidationFailed(errors)

    key = resident_id_key(session, person.number)
    _refuse_if_registered(session, key, station, person.number)
    # A new donor: the organisation's profile, no history (so no established-donor extension).
    refuse_by_age(
        session=session,
        organisation=station,
        person=rules.DonorFacts(sex=person.sex, birth_date=person.birth_date),
        history=rules.History(),
        on=local_today(station),
    )
    if OrgKind(station.kind) == OrgKind.PLASMA_STATION:
        require_designated_area(session, station, region)

    vault = settings.of(session).vault
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


# --- look-up -----------------------------------------------------------------------------


def in_scope(session: Session, actor: Actor, donor: Donor) -> bool:
    """The donor's own station (and the authorities above it), or an organisation where the
    donor has donated (and the authorities above that)."""
    if actor.is_system:
        return True
    registered_here = session.exec(
        restrict_to_visible(select(Donor.id), Donor.station_id, actor).where(Donor.id == donor.id)
    ).first()
    if registered_here is not None:
        return True
    donated_at = organisations_donated_at(session, donor)
    if not donated_at:
        return False
    return (
        session.exec(
            select(Organisation.id).where(
                Organisation.id.in_(donated_at), Organisation.id.in_(visible_org_ids(actor))
            )
        ).first()
        is not None
    )


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
            select(Donor).where(Donor.resident_id_key == resident_id_key(session, text))
        ).first()
    else:
        card = (query or "").strip().upper()
        donor = session.exec(select(Donor).where(Donor.card_number == card)).first()
    if donor is None:
        raise NotFound()
    if not in_scope(session, actor, donor):
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
    return session.exec(
        select(Donor).where(Donor.resident_id_key == resident_id_key(session, text))
    ).first()


def get_donor(*, session: Session, actor: Actor, donor_id: int) -> Donor:
    """A donor in the actor's scope (``in_scope``); anyone else's is not found."""
    donor = session.get(Donor, donor_id)
    if donor is None or not in_scope(session, actor, donor):
        raise NotFound()
    return donor


def may_see_contact(actor: Actor, donor: Donor) -> bool:
    """The phone and address are for the staff of the station that registered the donor."""
    return actor.is_system or actor.organisation_id == donor.station_id


def reveal_contact(session: Session, donor: Donor) -> dict[str, str | None]:
    """The decrypted phone and address, for the donor's own station's staff
    (``may_see_contact``)."""
    vault = settings.of(session).vault
    return {
        "phone": vault.decrypt(donor.phone_enc) if donor.phone_enc else None,
        "address": vault.decrypt(donor.address_enc) if donor.address_enc else None,
    }
