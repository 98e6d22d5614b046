"""Eligibility with the whole history: the organisation's rule profile, every past donation
and deferral at any station, and the engine's decision (``blood.donors.rules``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session

from blood import pii
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.donors import rules
from blood.donors.models import Donor
from blood.donors.service.age import refuse_by_age
from blood.donors.service.collecting import local_today, require_collecting_org
from blood.donors.service.deferrals import deferrals_of
from blood.donors.service.profiles import DEFAULT_PROFILE, profile_for
from blood.donors.service.registry import (
    RegisteredElsewhere,
    find_donor,
    find_registered,
    parse_resident_id,
)
from blood.donors.service.sources import HISTORY_SOURCES, donations_of
from blood.errors import NotFound, ValidationFailed

__all__ = [
    "DEFAULT_PROFILE",
    "HISTORY_SOURCES",
    "EligibilityAnswer",
    "assess",
    "assess_new_person",
    "check_donor_age",
    "check_eligibility",
    "donor_history",
    "history_blockers",
    "profile_for",
]

# Digits (and a final X), however many: meant as a resident ID, never a card number.
_RESIDENT_ID_LIKE = re.compile(r"^\d+X?$")


def donor_history(session: Session, donor: Donor) -> rules.History:
    """Every donation (at any station or blood centre) and every deferral still in force."""
    donations = donations_of(session, donor)
    deferrals = tuple(
        rules.DeferralFact(permanent=d.permanent, ends_on=d.ends_on, reason_code=d.reason_code)
        for d in deferrals_of(session, donor)
        if d.lifted_at is None
    )
    return rules.History(donations=tuple(donations), deferrals=deferrals)


def check_donor_age(
    *, session: Session, organisation: Organisation, donor: Donor, on: date
) -> None:
    """Refuse (ValidationFailed on ``resident_id``) a registered donor whose age the
    organisation's profile does not accept on ``on``, with the whole history: an established
    donor without reactions keeps the extended upper age."""
    refuse_by_age(
        session=session,
        organisation=organisation,
        person=rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        history=donor_history(session, donor),
        on=on,
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
    profile = profile_for(session, station)
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
    *,
    session: Session,
    station: Organisation,
    donor: Donor,
    on: date,
    history: rules.History | None = None,
) -> rules.Decision:
    """What the history alone says today (deferrals, intervals, frequency, age): shown on the
    donor page before anyone is measured. Missing-measurement reasons are left out."""
    decision = rules.decide(
        profile_for(session, station),
        rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        rules.Screening(),
        history if history is not None else donor_history(session, donor),
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
        profile_for(session, station),
        rules.DonorFacts(sex=person.sex, birth_date=person.birth_date),
        screening,
        rules.History(),
        on,
    )


@dataclass(frozen=True)
class EligibilityAnswer:
    """The engine's decision for one person, with what the caller needs to read it."""

    eligible: bool
    reasons: tuple[rules.Reason, ...]
    next_eligible_on: date | None
    collection_limit: rules.CollectionLimit | None
    profile: str  # the rule profile applied
    registered: bool  # False: a resident ID not registered yet, assessed with no history


def check_eligibility(
    *,
    session: Session,
    actor: Actor,
    reference: str,
    screening: rules.Screening,
    on: date | None = None,
) -> EligibilityAnswer:
    """May this person donate? `reference` is a card number or a resident ID.

    A reference of digits is a resident ID: a mistyped one (17 characters, a wrong check
    character, an unknown region) is refused on the field ``donor``, not "not found". A
    registered donor is assessed with the whole history (every donation and deferral at any
    station), also when registered at another station; a resident ID not registered yet is
    assessed as a new donor with no history. An unknown card number is not found.
    """
    station = require_collecting_org(session, actor)
    donor: Donor | None
    text = pii.normalise(reference or "")
    try:
        donor = find_donor(session=session, actor=actor, query=reference)
    except NotFound:
        if not _RESIDENT_ID_LIKE.match(text):
            raise
        donor = None
    except RegisteredElsewhere:
        donor = find_registered(session=session, query=reference)
    if donor is None:
        try:
            decision = assess_new_person(
                session=session, actor=actor, resident_id=text, screening=screening, on=on
            )
        except ValidationFailed as error:
            # A mistyped resident ID: the caller's field is the reference it sent.
            raise ValidationFailed({"donor": error.fields.get("resident_id", [])}) from None
    else:
        decision = assess(session=session, actor=actor, donor=donor, screening=screening, on=on)
    return EligibilityAnswer(
        eligible=decision.eligible,
        reasons=decision.reasons,
        next_eligible_on=decision.next_eligible_on,
        collection_limit=decision.collection_limit,
        profile=profile_for(session, station).code,
        registered=donor is not None,
    )
