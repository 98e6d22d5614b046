"""ABO/RhD groups at the blood centre's laboratory, and their discrepancies.

A confirmed group that differs from the donor's recorded group is never applied quietly: the
donation is flagged ``discrepant`` and nothing from it is released until the quality manager
resolves it with the group a repeat test established.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.db import utcnow
from blood.errors import Conflict, ValidationFailed
from blood.inputs import ABO_GROUPS, RHD_TYPES
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, Unit
from blood.stock.service.collection import get_donation
from blood.stock.service.organisations import acting_centre

RESOLVE_GROUP = Duty((Role.QUALITY,))  # who resolves a group discrepancy


def confirm_group(
    session: Session, actor: Actor, donation: BloodDonation, abo: str, rhd: str, now
) -> None:
    """Record the laboratory's group; one that differs from the donor's record is flagged,
    never applied to the units."""
    donation.confirmed_abo, donation.confirmed_rhd = abo, rhd
    donation.group_confirmed_by_id = actor.user_id
    donation.group_confirmed_at = now
    differs = (donation.abo is not None and donation.abo != abo) or (
        donation.rhd is not None and donation.rhd != rhd
    )
    donation.group_status = "discrepant" if differs else "confirmed"
    session.add(donation)
    if not differs:
        _label_pending_units(session, donation, abo, rhd)


def _label_pending_units(session: Session, donation: BloodDonation, abo: str, rhd: str) -> None:
    for unit in session.exec(
        select(Unit).where(Unit.donation_id == donation.id, Unit.state == UnitState.PENDING_TESTS)
    ).all():
        unit.abo, unit.rhd = abo, rhd
        session.add(unit)


def resolve_group_discrepancy(
    *, session: Session, actor: Actor, donation_id: int, abo: str, rhd: str, note: str
) -> BloodDonation:
    """The quality manager resolves a group discrepancy with the group a repeat test on a
    new sample established, and says how it was established. The donation's waiting units
    take that group; the donor's recorded group is not changed here (the donor registry
    corrects it, on its own record)."""
    RESOLVE_GROUP.require(actor)
    centre = acting_centre(session=session, actor=actor)
    donation = get_donation(session=session, actor=actor, donation_id=donation_id)
    if donation.group_status != "discrepant":
        raise Conflict(_l("This donation has no group discrepancy to resolve."))
    errors: dict[str, list[str]] = {}
    if abo not in ABO_GROUPS:
        errors["abo"] = [_("A, B, O or AB.")]
    if rhd not in RHD_TYPES:
        errors["rhd"] = [_("RhD is + or -.")]
    if not (note or "").strip():
        errors["note"] = [_("Say how the group was established (the repeat test).")]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(
        donation, ["confirmed_abo", "confirmed_rhd", "group_status", "group_resolution_note"]
    )
    donation.confirmed_abo, donation.confirmed_rhd = abo, rhd
    donation.group_status = "resolved"
    donation.group_resolved_by_id = actor.user_id
    donation.group_resolved_at = utcnow()
    donation.group_resolution_note = note.strip()
    session.add(donation)
    _label_pending_units(session, donation, abo, rhd)
    audit.record(
        session, actor, "blood.group_resolve", donation, before=before, organisation=centre
    )
    return donation
