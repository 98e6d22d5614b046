"""The demo's look-back: one open case, opened by the blood centre's quality manager on a
donor whose red cells went to a hospital (blocked there, the hospital notified)."""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.stock.models import BloodDonation, Unit
from blood.trace.models import LookbackCase
from blood.trace.service import open_case


def load_trace_demo(session: Session) -> LookbackCase | None:
    """Once: a second load finds the case and leaves it."""
    existing = session.exec(select(LookbackCase)).first()
    if existing is not None:
        return existing
    donation = session.exec(
        select(BloodDonation)
        .join(Unit, Unit.donation_id == BloodDonation.id)
        .where(Unit.state == "received")
        .order_by(BloodDonation.collected_at.desc(), BloodDonation.id)
    ).first()
    if donation is None:
        return None
    case = open_case(
        session=session,
        actor=Actor.system("demo"),
        donor_id=donation.donor_id,
        origin="manual",
        organisation=session.get(Organisation, donation.centre_id),
        index_din=donation.din,
        markers=["anti_hcv"],
        note="Demo: the donor reported a later anti-HCV result from another laboratory.",
    )
    session.flush()
    return case
