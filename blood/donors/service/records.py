"""What the registry shows about one donor: identity, contact, deferrals, donations at other
organisations, and what the history alone says today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.donors import rules
from blood.donors.models import Deferral, Donor
from blood.donors.service.collecting import local_today, require_collecting_org
from blood.donors.service.deferrals import deferrals_of
from blood.donors.service.eligibility import donor_history, history_blockers
from blood.donors.service.registry import get_donor, may_see_contact, reveal_contact
from blood.errors import Forbidden


@dataclass(frozen=True)
class DonationElsewhere:
    """A donation at another organisation, as much as the interval rules need: its kind, its
    day and where it was given (None when the recording package did not say)."""

    on: date
    kind: rules.DonationKind
    organisation: Organisation | None


@dataclass(frozen=True)
class DonorOverview:
    donor: Donor
    contact: dict[str, str | None] | None  # decrypted phone and address, when looked up
    may_look_up_contact: bool  # the donor's own station's staff (``may_see_contact``)
    deferrals: list[Deferral]  # every deferral, lifted ones too, oldest first
    history: rules.Decision  # what the history alone says today (see history_blockers)
    age: int  # completed years today
    elsewhere: list[DonationElsewhere]  # donations at other organisations, latest first


def donor_overview(
    *, session: Session, actor: Actor, donor_id: int, look_up_contact: bool = False
) -> DonorOverview:
    """One donor as a collecting organisation's staff see them (within the actor's scope: the
    donor's own station, or an organisation where the donor has donated). The phone and
    address stay masked unless ``look_up_contact``: then the own station's staff get them in
    clear, and the look-up is recorded on the donor (``donor.contact_reveal``, without the
    details themselves); anyone else is refused."""
    station = require_collecting_org(session, actor)
    donor = get_donor(session=session, actor=actor, donor_id=donor_id)
    may_look_up = may_see_contact(actor, donor)
    contact = None
    if look_up_contact:
        if not may_look_up:
            raise Forbidden()
        audit.record(
            session,
            actor,
            "donor.contact_reveal",
            donor,
            changes={"purpose": [None, "donor page"]},
            organisation=station,
        )
        contact = reveal_contact(session, donor)
    today = local_today(station)
    history = donor_history(session, donor)
    return DonorOverview(
        donor=donor,
        contact=contact,
        may_look_up_contact=may_look_up,
        deferrals=deferrals_of(session, donor),
        history=history_blockers(
            session=session, station=station, donor=donor, on=today, history=history
        ),
        age=rules.age_on(donor.birth_date, today),
        elsewhere=_elsewhere(session, history.donations, station),
    )


def _elsewhere(
    session: Session, donations: tuple[rules.PastDonation, ...], here: Organisation
) -> list[DonationElsewhere]:
    others = [d for d in donations if d.organisation_id != here.id]
    ids = {d.organisation_id for d in others if d.organisation_id is not None}
    orgs = (
        {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(ids))).all()}
        if ids
        else {}
    )
    return [
        DonationElsewhere(on=d.on, kind=d.kind, organisation=orgs.get(d.organisation_id))
        for d in sorted(others, key=lambda d: d.on, reverse=True)
    ]
