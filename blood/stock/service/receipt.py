"""Receipt of a dispatch by the receiving hospital: every unit confirmed (typed or scanned
from the dispatch note), a temperature excursion held, a unit blocked in transit kept blocked."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role
from blood.db import utcnow
from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import Dispatch, TemperatureExcursion
from blood.stock.service.dispatch import dispatch_units, get_dispatch
from blood.stock.service.organisations import acting_hospital
from blood.stock.service.units import transition
from blood.validation_messages import describe_invalid_din


def require_may_receive(actor: Actor, dispatch: Dispatch) -> None:
    """Refuse unless the dispatch is addressed to the actor's organisation and on its way."""
    if dispatch.to_id != actor.organisation_id:
        raise Forbidden()
    if dispatch.status != "in_transit":
        raise Conflict(_l("This dispatch was already received."))


def may_receive(actor: Actor, dispatch: Dispatch) -> bool:
    """Whether the actor may confirm the dispatch's receipt (the dispatch page offers the
    form on this; ``confirm_receipt`` refuses on the same rule)."""
    try:
        require_may_receive(actor, dispatch)
    except (Forbidden, Conflict):
        return False
    return True


def _scan_errors(scanned: str | None, dispatch: Dispatch, dins: set[str]) -> list[str]:
    """What is wrong with the receipt's scans (one code a line, from the dispatch note): a
    wrong check character or flag, another dispatch's number, a unit not in the dispatch, a
    unit not scanned (a DIN ticks every component of that donation in the dispatch). No
    scans at all: nothing to check."""
    reading = isbt128.read_scans(scanned)
    if not (reading.dins or reading.numbers or reading.problems):
        return []
    errors = [
        _(
            "Line %(line)d (%(code)s): %(problem)s",
            line=line,
            code=text,
            problem=describe_invalid_din(error),
        )
        for line, text, error in reading.problems
    ]
    errors += [
        _(
            "%(number)s is not this dispatch's number (%(expected)s).",
            number=n,
            expected=dispatch.number,
        )
        for n in reading.numbers
        if n != dispatch.number.upper()
    ]
    errors += [_("%(din)s is not in this dispatch.", din=d) for d in reading.dins if d not in dins]
    unscanned = sorted(dins - set(reading.dins))
    if unscanned and not errors:
        errors.append(_("Not scanned: %(dins)s.", dins=", ".join(unscanned)))
    return errors


@dataclass(frozen=True)
class ReceiptLine:
    din: str
    product_code: str
    temperature_ok: bool
    division: str = "00"


def confirm_receipt(
    *,
    session: Session,
    actor: Actor,
    dispatch_id: int | None = None,
    number: str | None = None,
    lines: list[ReceiptLine],
    scanned: str | None = None,
) -> Dispatch:
    """The receiving hospital confirms every unit once, with its temperature flag. A unit
    that arrived out of its temperature range is received and put on hold, the excursion
    recorded (which unit, by whom, when): it is not stock until the hospital returns it to
    the centre or discards it."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_hospital(session=session, actor=actor)
    dispatch = get_dispatch(session=session, actor=actor, dispatch_id=dispatch_id, number=number)
    require_may_receive(actor, dispatch)
    items = dispatch_units(session=session, dispatch=dispatch)
    by_identity = {(u.din, u.product_code, u.division): (item, u) for item, u in items}
    errors: dict[str, list[str]] = {}
    matched = {}
    for index, line in enumerate(lines):
        try:
            din = isbt128.parse_din(line.din).din
        except isbt128.InvalidDin as error:
            errors[f"units.{index}.din"] = [describe_invalid_din(error)]
            continue
        key = (din, line.product_code.strip().upper(), line.division or "00")
        if key not in by_identity:
            errors[f"units.{index}.din"] = [_("This unit is not in the dispatch.")]
        elif key in matched:
            errors[f"units.{index}.din"] = [_("This unit is listed twice.")]
        else:
            matched[key] = line
    missing = [
        u.label
        for (_i, u) in by_identity.values()
        if (u.din, u.product_code, u.division) not in matched
    ]
    if missing and not errors:
        errors["units"] = [
            _("Confirm every unit of the dispatch; missing: %(units)s", units=", ".join(missing))
        ]
    scan_errors = _scan_errors(scanned, dispatch, {u.din for _i, u in items})
    if scan_errors:
        errors["scanned"] = scan_errors
    if errors:
        raise ValidationFailed(errors)
    source = session.get(Organisation, dispatch.from_id)
    for key, line in matched.items():
        item, unit = by_identity[key]
        item.temperature_ok = line.temperature_ok
        if unit.state == UnitState.BLOCKED:
            continue  # a look-back blocked it in transit: it arrives and stays blocked
        transition(session=session, actor=actor, unit=unit, action=Action.RECEIVE, holder=hospital)
        if not line.temperature_ok:
            transition(
                session=session,
                actor=actor,
                unit=unit,
                action=Action.HOLD,
                holder=hospital,
                reason="temperature_excursion",
            )
            excursion = TemperatureExcursion(
                unit_id=unit.id,
                dispatch_id=dispatch.id,
                organisation_id=hospital.id,
                recorded_by_id=actor.user_id,
                recorded_by=actor.name,
            )
            session.add(excursion)
            audit.record(
                session,
                actor,
                "unit.temperature_excursion",
                excursion,
                organisation=hospital,
                changes={"unit": [None, unit.label], "dispatch": [None, dispatch.number]},
            )
    dispatch.status = "received"
    dispatch.received_at = utcnow()
    dispatch.received_by = actor.name
    audit.record(
        session,
        actor,
        "dispatch.receive",
        dispatch,
        organisation=hospital,
        changes={"from": [None, source.code]},
    )
    return dispatch
