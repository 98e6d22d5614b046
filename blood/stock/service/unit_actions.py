"""What people do to a unit by hand: a hospital returns or discards it, the centre restocks a
returned one (only the quality manager after a temperature excursion); and the discard of a
donation's units that a reactive test or a rejected deviation calls for.

A unit received out of its temperature range is on hold at the hospital: not stock on hand;
the hospital returns it to the centre or discards it. Once back at the centre, only the
quality manager may put it back into stock.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty, require_role
from blood.errors import Forbidden, ValidationFailed
from blood.stock.lifecycle import LIVE, Action, UnitState
from blood.stock.models import Unit
from blood.stock.service.organisations import acting_centre, acting_holder, acting_hospital
from blood.stock.service.transitions import open_excursion, transition
from blood.stock.service.unit_words import MANUAL_DISCARD_REASONS

DISCARD = Duty((Role.TRANSFUSION_OFFICER, Role.STOCK_CLERK, Role.QUALITY))  # who discards units


def may_restock(*, session: Session, actor: Actor, unit: Unit) -> bool:
    """Whether the actor may put this returned unit back into the centre's stock (the units
    page offers the button on this; ``hospital_action`` refuses on the same rule): a stock
    clerk or the quality manager, and only the quality manager after a temperature
    excursion."""
    if unit.state != UnitState.RETURNED or actor.organisation_id != unit.owner_id:
        return False
    if open_excursion(session, unit) is not None:
        return actor.has_role(Role.QUALITY)
    return actor.has_role(Role.STOCK_CLERK, Role.QUALITY)


def discard_donation_units(
    *, session: Session, actor: Actor, centre: Organisation, donation_id: int, reason: str
) -> list[Unit]:
    """Discard every unit of the donation that the centre still holds and that may change
    state (a reactive test, a rejected deviation)."""
    units = session.exec(
        select(Unit)
        .where(
            Unit.donation_id == donation_id,
            Unit.owner_id == centre.id,
            Unit.state.in_([s.value for s in LIVE]),
        )
        .order_by(Unit.id)
    ).all()
    return [
        transition(
            session=session,
            actor=actor,
            unit=unit,
            action=Action.DISCARD,
            holder=centre,
            reason=reason,
        )
        for unit in units
    ]


def hospital_action(
    *, session: Session, actor: Actor, unit: Unit, action: Action, reason: str | None = None
) -> Unit:
    """Return or discard a unit held by the actor's hospital (or, for discard, by the actor's
    blood centre); restock a returned unit at the centre. A unit on hold after a temperature
    excursion can only be returned or discarded; back at the centre, only the quality manager
    restocks it. Transfusing is not here: there is one way to transfuse, the clinical record
    (``blood.clinical``), which checks the patient's safety first."""
    if action not in (Action.RETURN, Action.DISCARD, Action.RESTOCK):
        raise ValidationFailed({"action": [_("Return, discard or restock.")]})
    if action is Action.DISCARD and reason not in MANUAL_DISCARD_REASONS:
        raise ValidationFailed({"reason": [_("Choose a discard reason from the list.")]})
    if action is Action.RESTOCK:
        require_role(actor, Role.STOCK_CLERK, Role.QUALITY)
        holder = acting_centre(session=session, actor=actor)
        if unit.owner_id != holder.id:
            raise Forbidden()
        if open_excursion(session, unit) is not None:
            # Back after a temperature excursion: the quality manager decides.
            require_role(actor, Role.QUALITY)
        return transition(session=session, actor=actor, unit=unit, action=action, holder=holder)
    if action is Action.DISCARD:
        DISCARD.require(actor)
        holder = acting_holder(session=session, actor=actor)
        return transition(
            session=session, actor=actor, unit=unit, action=action, holder=holder, reason=reason
        )
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_hospital(session=session, actor=actor)
    new_owner = session.get(Organisation, unit.centre_id) if action is Action.RETURN else None
    return transition(
        session=session,
        actor=actor,
        unit=unit,
        action=action,
        holder=hospital,
        new_owner=new_owner,
        reason=reason,
    )
