"""Deviations at the station: collections kept although they broke a rule (over the donor's
limit), waiting for the quality manager's decision. Accepted, the unit follows the normal
quarantine rules; rejected, it is destroyed with the decision's reason (``blood.deviations``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, deviations
from blood.accounts.models import User
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role
from blood.db import utcnow
from blood.donors.models import Donor
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.plasma.models import DESTROYED_DEVIATION, DEVIATION_OVER_LIMIT, Collection
from blood.plasma.service.lab import destroy_unit
from blood.plasma.service.station import require_station

ACCEPT, REJECT = "accept", "reject"
DECISIONS = (ACCEPT, REJECT)

DEVIATION_LABELS: dict[str, Any] = {
    DEVIATION_OVER_LIMIT: _l("Collection over the donor's limit"),
}


def describe_deviation(unit: Collection) -> str:
    """What the collection broke, with its figures, in the user's language."""
    facts = unit.deviation_facts or {}
    if unit.deviation == DEVIATION_OVER_LIMIT and {"actual", "limit", "unit"} <= set(facts):
        return _(
            "%(actual)s %(unit)s collected; the limit for this donor was %(limit)s %(unit)s.",
            actual=f"{facts['actual']:g}",
            limit=f"{facts['limit']:g}",
            unit=facts["unit"],
        )
    return str(DEVIATION_LABELS.get(unit.deviation or "", _l("Deviation")))


@dataclass(frozen=True)
class DeviationRow:
    unit: Collection
    donor_card: str  # the donor's card number (the decision needs no more about the donor)
    collected_by: str | None  # the collector's name
    decided_by: str | None  # the quality manager's name, once decided
    description: str  # what was broken, with the figures


@dataclass(frozen=True)
class DeviationsOverview:
    open: list[DeviationRow]  # oldest first: the longest wait at the top
    decided: list[DeviationRow]  # the latest decisions first


def deviations_overview(
    *, session: Session, actor: Actor, decided_limit: int = 50
) -> DeviationsOverview:
    """The station's deviations: open ones to decide, and the latest decisions."""
    require_role(actor, Role.QUALITY)
    station = require_station(session, actor)
    base = select(Collection).where(
        Collection.station_id == station.id, Collection.deviation.is_not(None)
    )
    open_units = session.exec(
        base.where(Collection.deviation_status == deviations.OPEN).order_by(Collection.started_at)
    ).all()
    decided_units = session.exec(
        base.where(Collection.deviation_status != deviations.OPEN)
        .order_by(Collection.deviation_decided_at.desc())
        .limit(decided_limit)
    ).all()
    return DeviationsOverview(
        open=_rows(session, open_units), decided=_rows(session, decided_units)
    )


def _rows(session: Session, units) -> list[DeviationRow]:
    if not units:
        return []
    donor_ids = {u.donor_id for u in units}
    cards = {
        i: card
        for i, card in session.exec(
            select(Donor.id, Donor.card_number).where(Donor.id.in_(donor_ids))
        ).all()
    }
    user_ids = {u.collected_by_id for u in units} | {u.deviation_decided_by_id for u in units}
    user_ids.discard(None)
    names = (
        {
            i: name
            for i, name in session.exec(
                select(User.id, User.display_name).where(User.id.in_(user_ids))
            ).all()
        }
        if user_ids
        else {}
    )
    return [
        DeviationRow(
            unit=u,
            donor_card=cards.get(u.donor_id, ""),
            collected_by=names.get(u.collected_by_id),
            decided_by=names.get(u.deviation_decided_by_id),
            description=describe_deviation(u),
        )
        for u in units
    ]


def get_deviation(
    *, session: Session, actor: Actor, collection_id: int, for_update: bool = False
) -> Collection:
    """A collection of the actor's station that carries a deviation (not found otherwise);
    ``for_update`` locks the row (a decision and a release of the same unit wait for each
    other)."""
    station = require_station(session, actor)
    statement = select(Collection).where(
        Collection.id == collection_id,
        Collection.station_id == station.id,
        Collection.deviation.is_not(None),
    )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    unit = session.exec(statement).first()
    if unit is None:
        raise NotFound()
    return unit


def decide_deviation(
    *, session: Session, actor: Actor, collection_id: int, decision: str, note: str
) -> Collection:
    """The quality manager accepts a deviation (the unit then follows the normal quarantine
    rules) or rejects it (the unit is destroyed); once, with a note saying why; audited."""
    require_role(actor, Role.QUALITY)
    unit = get_deviation(session=session, actor=actor, collection_id=collection_id, for_update=True)
    if unit.deviation_status != deviations.OPEN:
        raise Conflict(_l("This deviation was already decided."))
    errors: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        errors["decision"] = [_("Accept or reject.")]
    if not (note or "").strip():
        errors["note"] = [_("Say why: the decision is part of the unit's record.")]
    elif len(note.strip()) > 500:
        errors["note"] = [str(_l("At most {max} characters.")).format(max=500)]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(
        unit,
        [
            "deviation_status",
            "deviation_decided_by_id",
            "deviation_decided_at",
            "deviation_decision_note",
        ],
    )
    unit.deviation_status = deviations.ACCEPTED if decision == ACCEPT else deviations.REJECTED
    unit.deviation_decided_by_id = actor.user_id
    unit.deviation_decided_at = utcnow()
    unit.deviation_decision_note = note.strip()
    audit.record(session, actor, f"plasma.deviation_{decision}", unit, before=before)
    if decision == REJECT:
        destroy_unit(session, actor, unit, DESTROYED_DEVIATION)
    return unit
