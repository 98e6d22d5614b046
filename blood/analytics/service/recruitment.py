"""Lapsed donors who may give again, for staff to call; and the contact log that keeps the
next list from calling the same donors again too soon.

A donor is on the list when their last donation (of any kind, anywhere: the donors'
``HISTORY_SOURCES``) is at least ``LAPSED_DAYS`` old and the rules find nothing in their
history that keeps them from giving today (intervals, deferrals, frequency, age: the same
engine the desk uses). The list shows masked phone numbers only; contact details stay in the
donor registry, behind its own audited look-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.analytics.models import CONTACT_OUTCOMES, DonorContact
from blood.db import utcnow
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.errors import NotFound, ValidationFailed

LAPSED_DAYS = 90  # last donation at least this long ago (a plasma donor gives every 2–4 weeks)
RECENTLY_CONTACTED_DAYS = 14  # contacted since: not on the list again yet
MAX_CANDIDATES = 2000  # donors read for one list (the newest lapsed first)
MAX_NOTE = 200

RECALL = Duty((Role.REGISTRAR, Role.PHYSICIAN, Role.QUALITY, Role.ORG_ADMIN))  # who recalls
OUTCOME_WORDS = {
    "called": _l("Called"),
    "messaged": _l("Messaged"),
    "declined": _l("Declined"),
    "booked": _l("Booked a visit"),
    "unreachable": _l("Could not be reached"),
}


def may_recall(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.organisation_kind in donors.COLLECTING_KINDS
        and RECALL.allows(actor)
    )


@dataclass(frozen=True)
class LapsedFilter:
    abo: str | None = None
    rhd: str | None = None
    region: str | None = None  # a household-region prefix: 33, 3301, 330127
    kind: str | None = None  # the last donation's kind
    last_from: date | None = None
    last_to: date | None = None


@dataclass(frozen=True)
class LapsedDonor:
    donor: Donor
    last_on: date
    last_kind: str
    last_contact: DonorContact | None


def _collecting(session: Session, actor: Actor) -> Organisation:
    RECALL.require(actor)
    return donors.require_collecting_org(session, actor)


def lapsed_donors(
    *, session: Session, actor: Actor, filters: LapsedFilter | None = None
) -> list[LapsedDonor]:
    """The organisation's own donors who lapsed and may give again today, the most recently
    lapsed first, without those contacted in the last ``RECENTLY_CONTACTED_DAYS``."""
    org = _collecting(session, actor)
    f = filters or LapsedFilter()
    today = donors.local_today(org)
    statement = select(Donor).where(Donor.station_id == org.id)
    if f.abo:
        statement = statement.where(Donor.abo == f.abo)
    if f.rhd:
        statement = statement.where(Donor.rhd == f.rhd)
    if f.region:
        statement = statement.where(Donor.household_region.startswith(f.region))
    candidates = list(session.exec(statement.order_by(Donor.id).limit(MAX_CANDIDATES)).all())
    recent = utcnow() - timedelta(days=RECENTLY_CONTACTED_DAYS)
    contacts = _last_contacts(session, org, [d.id for d in candidates])
    found = []
    for donor in candidates:
        contact = contacts.get(donor.id)
        if contact is not None and contact.contacted_at >= recent:
            continue
        history = donors.donor_history(session, donor)
        if not history.donations:
            continue
        last = history.donations[-1]
        if (today - last.on).days < LAPSED_DAYS:
            continue
        if f.kind and last.kind != f.kind:
            continue
        if (f.last_from and last.on < f.last_from) or (f.last_to and last.on > f.last_to):
            continue
        decision = donors.history_blockers(
            session=session, station=org, donor=donor, on=today, history=history
        )
        if decision.eligible:
            found.append(LapsedDonor(donor, last.on, str(last.kind), contact))
    return sorted(found, key=lambda r: (r.last_on, r.donor.id), reverse=True)


def _last_contacts(
    session: Session, org: Organisation, donor_ids: list[int]
) -> dict[int, DonorContact]:
    if not donor_ids:
        return {}
    last: dict[int, DonorContact] = {}
    for contact in session.exec(
        select(DonorContact)
        .where(DonorContact.organisation_id == org.id, DonorContact.donor_id.in_(donor_ids))
        .order_by(DonorContact.contacted_at)
    ):
        last[contact.donor_id] = contact
    return last


def record_contact(
    *, session: Session, actor: Actor, donor_id: int, outcome: str, note: str | None = None
) -> DonorContact:
    """Log a recall contact with one of the organisation's own donors (audited); another
    organisation's donor is "not found"."""
    org = _collecting(session, actor)
    donor = session.get(Donor, donor_id)
    if donor is None or donor.station_id != org.id:
        raise NotFound()
    errors: dict[str, list[str]] = {}
    if outcome not in CONTACT_OUTCOMES:
        errors["outcome"] = [str(_l("Choose how the contact went from the list."))]
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        errors["note"] = [str(_l("At most %(n)d characters.", n=MAX_NOTE))]
    if errors:
        raise ValidationFailed(errors)
    contact = DonorContact(
        donor_id=donor.id,
        organisation_id=org.id,
        outcome=outcome,
        note=note,
        contacted_by_id=actor.id if actor.kind == "user" else None,
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        actor,
        "donor.recall_contact",
        donor,
        changes={"outcome": [None, outcome], "contact": [None, contact.id]},
        organisation=org,
    )
    return contact
