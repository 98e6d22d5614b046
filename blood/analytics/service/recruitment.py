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
from blood.analytics.models import CONTACT_OUTCOMES, DonorContact, RecallCampaign
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
    contacts = last_contacts(session, org, [d.id for d in candidates])

    def lapsed(last) -> bool:
        return (
            (today - last.on).days >= LAPSED_DAYS
            and not (f.kind and last.kind != f.kind)
            and not (f.last_from and last.on < f.last_from)
            and not (f.last_to and last.on > f.last_to)
        )

    found = []
    for donor in candidates:
        contact = contacts.get(donor.id)
        if contact is not None and contact.contacted_at >= recent:
            continue
        last = may_give_today(session, org, donor, today, wanted=lapsed)
        if last is not None:
            found.append(LapsedDonor(donor, last.on, str(last.kind), contact))
    return sorted(found, key=lambda r: (r.last_on, r.donor.id), reverse=True)


def may_give_today(session: Session, org: Organisation, donor: Donor, today: date, *, wanted):
    """The donor's last donation when they have one, it is ``wanted`` and the rules find
    nothing in their history that keeps them from giving today; else None. The history is
    read only for a donor who passed the cheaper checks before."""
    history = donors.donor_history(session, donor)
    if not history.donations or not wanted(history.donations[-1]):
        return None
    decision = donors.history_blockers(
        session=session, station=org, donor=donor, on=today, history=history
    )
    return history.donations[-1] if decision.eligible else None


def last_contacts(
    session: Session, org: Organisation, donor_ids: list[int]
) -> dict[int, DonorContact]:
    """Each donor's latest contact by the organisation."""
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


def _own_donor(session: Session, org: Organisation, donor_id: int) -> Donor:
    donor = session.get(Donor, donor_id)
    if donor is None or donor.station_id != org.id:
        raise NotFound()
    return donor


def _own_campaign(session: Session, org: Organisation, campaign_id: int | None):
    if campaign_id is None:
        return None
    campaign = session.get(RecallCampaign, campaign_id)
    if campaign is None or campaign.organisation_id != org.id:
        raise NotFound()
    return campaign


def reveal_phone(
    *, session: Session, actor: Actor, donor_id: int, campaign_id: int | None = None
) -> str | None:
    """The clear phone number of one of the organisation's own donors, for a recall call:
    each look is one audited action on the donor (the number itself is never in the audit
    row, nor in any log). Another organisation's donor is "not found"."""
    org = _collecting(session, actor)
    donor = _own_donor(session, org, donor_id)
    campaign = _own_campaign(session, org, campaign_id)
    audit.record(
        session,
        actor,
        "donor.phone_reveal",
        donor,
        changes={
            "purpose": [None, "recall"],
            **({"campaign": [None, campaign.id]} if campaign else {}),
        },
        organisation=org,
    )
    return donors.reveal_contact(session, donor)["phone"]


def record_contact(
    *,
    session: Session,
    actor: Actor,
    donor_id: int,
    outcome: str,
    note: str | None = None,
    campaign_id: int | None = None,
) -> DonorContact:
    """Log a recall contact with one of the organisation's own donors (audited), within one
    of its campaigns if given; another organisation's donor or campaign is "not found"."""
    org = _collecting(session, actor)
    donor = _own_donor(session, org, donor_id)
    campaign = _own_campaign(session, org, campaign_id)
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
        campaign_id=campaign.id if campaign else None,
    )
    session.add(contact)
    session.flush()
    audit.record(
        session,
        actor,
        "donor.recall_contact",
        donor,
        changes={
            "outcome": [None, outcome],
            "contact": [None, contact.id],
            **({"campaign": [None, campaign.id]} if campaign else {}),
        },
        organisation=org,
    )
    return contact
