"""The trace of a donor: every donation of theirs the actor may see, each traced as its DIN."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from blood.accounts.scoping import Actor
from blood.donors.models import Donor
from blood.errors import NotFound
from blood.plasma.models import Collection
from blood.stock.models import BloodDonation
from blood.trace.service.trace import Trace, _visible, trace_din
from blood.trace.service.words import donor_mask


@dataclass(frozen=True)
class DonorTrace:
    donor_id: int
    donor: str
    donations: list[Trace]


def trace_donor(*, session: Session, actor: Actor, donor_id: int) -> DonorTrace:
    """Every donation of a donor the actor may see the donation of, latest first."""
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise NotFound()
    visible = _visible(session, actor)
    dins = [
        (at, din, org)
        for at, din, org in session.exec(
            select(Collection.started_at, Collection.din, Collection.station_id).where(
                Collection.donor_id == donor_id
            )
        ).all()
    ] + [
        (at, din, org)
        for at, din, org in session.exec(
            select(BloodDonation.collected_at, BloodDonation.din, BloodDonation.centre_id).where(
                BloodDonation.donor_id == donor_id
            )
        ).all()
    ]
    seen = [d for d in dins if visible is None or d[2] in visible]
    if not seen:
        raise NotFound()
    traces = [
        trace_din(session=session, actor=actor, din=din)
        for _at, din, _org in sorted(seen, key=lambda d: d[0], reverse=True)
    ]
    return DonorTrace(donor_id, donor_mask(donor), traces)
