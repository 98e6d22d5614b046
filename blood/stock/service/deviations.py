"""Collection deviations at a blood centre: the quality manager's decision.

A donation recorded with a deviation (a whole-blood volume outside 200/300/400 mL ± the
tolerance) waits for the centre's quality manager. Accepting it lets its components be
released once tested; rejecting it discards every component the centre holds (reason
``deviation_rejected``) and nothing more may be made from it. Either decision is audited and
says why. Supervision reads deviations by status, organisation and date (``list_deviations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import User
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.db import utcnow
from blood.deviations import ACCEPTED, OPEN, REJECTED, STATUSES
from blood.errors import Conflict, ValidationFailed
from blood.stock.models import VOLUME_DEVIATION, BloodDonation, Unit
from blood.stock.service.collection import get_donation
from blood.stock.service.organisations import acting_centre
from blood.stock.service.units import discard_donation_units

DECISIONS = {"accept": ACCEPTED, "reject": REJECTED}
DEVIATION_LABELS = {
    VOLUME_DEVIATION: _l("Whole-blood volume outside 200, 300 or 400 mL"),
}


def deviation_label(code: str | None) -> str:
    return str(DEVIATION_LABELS.get(code, code or ""))


def decide_deviation(
    *, session: Session, actor: Actor, donation_id: int, decision: str, note: str
) -> list[Unit]:
    """The quality manager accepts or rejects an open deviation, saying why. Returns the
    units a rejection discarded."""
    require_role(actor, Role.QUALITY)
    centre = acting_centre(session=session, actor=actor)
    donation = get_donation(session=session, actor=actor, donation_id=donation_id)
    errors: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        errors["decision"] = [_("Accept or reject.")]
    if not (note or "").strip():
        errors["note"] = [_("Say why: the decision is part of the record.")]
    if errors:
        raise ValidationFailed(errors)
    if donation.deviation_status != OPEN:
        raise Conflict(_l("This donation has no deviation waiting for a decision."))
    before = audit.snapshot(
        donation,
        ["deviation_status", "deviation_decided_by_id", "deviation_decision_note"],
    )
    donation.deviation_status = DECISIONS[decision]
    donation.deviation_decided_by_id = actor.user_id
    donation.deviation_decided_at = utcnow()
    donation.deviation_decision_note = note.strip()
    session.add(donation)
    audit.record(
        session, actor, "blood.deviation_decide", donation, before=before, organisation=centre
    )
    if decision == "reject":
        session.flush()
        return discard_donation_units(
            session=session,
            actor=actor,
            centre=centre,
            donation_id=donation.id,
            reason="deviation_rejected",
        )
    return []


@dataclass(frozen=True)
class DeviationRow:
    donation: BloodDonation
    collected_by: str | None
    decided_by: str | None


def _rows(session: Session, donations: list[BloodDonation]) -> list[DeviationRow]:
    ids = {d.collected_by_id for d in donations} | {d.deviation_decided_by_id for d in donations}
    ids.discard(None)
    names = (
        dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return [
        DeviationRow(d, names.get(d.collected_by_id), names.get(d.deviation_decided_by_id))
        for d in donations
    ]


@dataclass(frozen=True)
class DeviationsOverview:
    open: list[DeviationRow]
    decided: list[DeviationRow]  # the last `days` days


def deviations_overview(*, session: Session, actor: Actor, days: int = 30) -> DeviationsOverview:
    """The quality manager's page: the centre's open deviations (oldest first) and those
    decided in the last ``days`` days."""
    require_role(actor, Role.QUALITY)
    centre = acting_centre(session=session, actor=actor)
    base = select(BloodDonation).where(
        BloodDonation.centre_id == centre.id, BloodDonation.deviation.is_not(None)
    )
    open_ = session.exec(
        base.where(BloodDonation.deviation_status == OPEN).order_by(BloodDonation.collected_at)
    ).all()
    decided = session.exec(
        base.where(
            BloodDonation.deviation_status != OPEN,
            BloodDonation.deviation_decided_at >= utcnow() - timedelta(days=days),
        ).order_by(BloodDonation.deviation_decided_at.desc())
    ).all()
    return DeviationsOverview(
        open=_rows(session, list(open_)), decided=_rows(session, list(decided))
    )


def list_deviations(
    *,
    session: Session,
    actor: Actor,
    status: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[BloodDonation]:
    """Donations with a deviation in the actor's scope (a blood centre's own; an authority's
    jurisdiction), by status and collection date: what supervision reads."""
    statement = select(BloodDonation).where(BloodDonation.deviation.is_not(None))
    if not actor.is_system:
        statement = statement.where(BloodDonation.centre_id.in_(visible_org_ids(actor)))
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed({"status": [_("Open, accepted or rejected.")]})
        statement = statement.where(BloodDonation.deviation_status == status)
    if since is not None:
        statement = statement.where(BloodDonation.collected_at >= since)
    if until is not None:
        statement = statement.where(BloodDonation.collected_at < until)
    return list(session.exec(statement.order_by(sa.desc(BloodDonation.collected_at))).all())
