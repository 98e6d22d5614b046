"""Where a visit stands and what comes next, with the role that takes the next step (the visit
page tells whoever opens it)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import deviations
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.plasma.models import Collection, LabResult, UnitState, Visit, VisitStatus


@dataclass(frozen=True)
class NextStep:
    stage: str  # where the visit stands, in words
    step: str | None  # the next step, in words (None: nothing more to do)
    role: Role | None  # the role that takes it
    yours: bool  # the actor holds that role


def _step(actor: Actor, stage, step=None, role: Role | None = None) -> NextStep:
    return NextStep(
        str(stage),
        str(step) if step is not None else None,
        role,
        bool(role and not actor.is_system and actor.has_role(role)),
    )


def visit_next_step(
    *, session: Session, actor: Actor, visit: Visit, unit: Collection | None
) -> NextStep:
    """The visit's stage and its next step (one look-up: the unit's test result)."""
    if visit.status == VisitStatus.CHECKED_IN:
        return _step(
            actor, _l("Checked in, waiting for the health screening."),
            _l("Health screening and the decision"), Role.PHYSICIAN,
        )  # fmt: skip
    if visit.status == VisitStatus.INELIGIBLE:
        return _step(actor, _l("Screened: not eligible today. Nothing more to do at this visit."))
    if unit is None:
        return _step(
            actor, _l("Screened: eligible, waiting for the collection."),
            _l("Collect the plasma"), Role.COLLECTOR,
        )  # fmt: skip
    if unit.state == UnitState.DESTROYED:
        return _step(actor, _l("The unit was destroyed. Nothing more to do."))
    if unit.state == UnitState.BLOCKED:
        return _step(actor, _l("The unit is held by a look-back and is never released."))
    if unit.state == UnitState.SHIPPED:
        return _step(actor, _l("The unit has been shipped to a manufacturer."))
    if unit.state == UnitState.RELEASED:
        return _step(
            actor, _l("Released from quarantine, waiting for a shipment."),
            _l("Add the unit to a shipment to a manufacturer"), Role.QUALITY,
        )  # fmt: skip
    if unit.deviation_status == deviations.OPEN:
        return _step(
            actor, _l("Collected with a deviation, waiting for the quality manager's decision."),
            _l("Accept or reject the deviation"), Role.QUALITY,
        )  # fmt: skip
    tested = session.exec(select(LabResult.id).where(LabResult.collection_id == unit.id)).first()
    if tested is None:
        return _step(
            actor, _l("Collected; the sample is waiting for the laboratory."),
            _l("Enter the test results"), Role.LAB,
        )  # fmt: skip
    return _step(
        actor, _l("Tested; the unit is in quarantine."),
        _l("Release after the quarantine period, once a later donation tests negative"),
        Role.QUALITY,
    )  # fmt: skip
