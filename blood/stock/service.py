"""Blood-centre collection and components, the unit life cycle, orders, dispatch, receipt,
transfers, expiry and stock levels (days of supply and alert phase).

Every transition of a unit goes through ``transition``: it asks the pure state machine, then
applies the answer with a conditional UPDATE (WHERE state IN the allowed states AND held by
the caller), so the same unit is never issued, transfused or discarded twice, even when two
requests race.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, func, select

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, acting_organisation, require_role, visible_org_ids
from blood.db import utcnow
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.messages import describe
from blood.donors.models import Donor
from blood.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from blood.sequences import next_value
from blood.stock.lifecycle import Action, InvalidTransition, UnitState, allowed_from, next_state
from blood.stock.models import (
    COMPONENTS,
    BloodDonation,
    Dispatch,
    DispatchItem,
    Order,
    OrderLine,
    ProductCode,
    Unit,
    UnitMovement,
)

PRODUCT_CODES_CSV = Path(__file__).parent / "data" / "product_codes.csv"
GROUPS = [
    ("O", "-"),
    ("O", "+"),
    ("A", "-"),
    ("A", "+"),
    ("B", "-"),
    ("B", "+"),
    ("AB", "-"),
    ("AB", "+"),
]
WHOLE_BLOOD_VOLUMES = (200, 300, 400)
DISCARD_REASONS = {
    "temperature_excursion": _l("Storage temperature out of range"),
    "damaged": _l("Bag damaged or leaking"),
    "reactive_test": _l("Reactive screening test"),
    "clinical_not_used": _l("Issued for a patient, not used"),
    "quality": _l("Quality or visual inspection failure"),
    "other": _l("Other"),
}
# Days of supply → phase; each threshold is the lowest figure of its phase (NHSBT-style
# Green / Pre-Amber / Amber / Red). Configuration: STOCK_ALERT_THRESHOLDS, per component and
# optionally per group, e.g. {"red_cells": {"O-": {"pre_amber": 6, "amber": 3, "red": 2}}}.
DEFAULT_THRESHOLDS = {
    "red_cells": {"pre_amber": 6, "amber": 4, "red": 2},
    "platelets": {"pre_amber": 3, "amber": 2, "red": 1},
    "plasma": {"pre_amber": 14, "amber": 10, "red": 7},
    "cryo": {"pre_amber": 14, "amber": 10, "red": 7},
}
USAGE_WINDOW_DAYS = 28


class TransitionRefused(DomainError):
    status = 409
    code = "invalid_transition"
    template = _l("Unit %(unit)s cannot be %(action)s: it is %(state)s.")


class UnitExpired(DomainError):
    status = 409
    code = "unit_expired"
    template = _l("Unit %(unit)s expired on %(expired)s: it cannot be %(action)s.")


# --- product codes -------------------------------------------------------------------------


def load_product_codes(session: Session, actor: Actor, text: str | None = None) -> int:
    """Insert or update product codes from CSV (the shipped table when `text` is None)."""
    text = text if text is not None else PRODUCT_CODES_CSV.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    errors: dict[str, list[str]] = {}
    for number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        if not (len(code) == 5 and code[0] in "EF" and code[1:].isdigit()):
            errors[f"line {number}"] = [_("A product code is E or F and 4 digits.")]
        elif row.get("component") not in COMPONENTS:
            errors[f"line {number}"] = [_("Unknown component.")]
        elif not (row.get("shelf_life_hours") or "").strip().isdigit():
            errors[f"line {number}"] = [_("Shelf life is a whole number of hours.")]
    if errors:
        raise ValidationFailed(errors)
    for row in rows:
        code = row["code"].strip().upper()
        product = session.get(ProductCode, code) or ProductCode(code=code)
        product.component = row["component"]
        product.shelf_life_hours = int(row["shelf_life_hours"])
        product.storage = row.get("storage", "")
        product.name_en = row.get("name_en", code)
        product.name_zh = row.get("name_zh", code)
        product.source = row.get("source", "")
        session.add(product)
    session.flush()
    audit.record(
        session,
        actor,
        "product_codes.load",
        entity_type="product_code",
        changes={"codes": [None, sorted(r["code"].strip().upper() for r in rows)]},
    )
    return len(rows)


def product(session: Session, code: str) -> ProductCode | None:
    return session.get(ProductCode, (code or "").strip().upper())


def shelf_life(product_code: ProductCode) -> timedelta:
    """The product's shelf life, unless the deployment overrides it per component."""
    hours = product_code.shelf_life_hours
    if has_app_context():
        hours = current_app.config.get("SHELF_LIFE_HOURS", {}).get(product_code.component, hours)
    return timedelta(hours=hours)


# --- collection at a blood centre -------------------------------------------------------------


def blood_donations(session: Session, donor: Donor) -> list[rules.PastDonation]:
    rows = session.exec(
        select(
            BloodDonation.collected_at,
            BloodDonation.kind,
            BloodDonation.adverse_reaction,
            Organisation.timezone,
        )
        .join(Organisation, Organisation.id == BloodDonation.centre_id)
        .where(BloodDonation.donor_id == donor.id)
    ).all()
    return [
        rules.PastDonation(
            on=at.astimezone(ZoneInfo(tz)).date(),
            kind=rules.DonationKind(kind),
            adverse_reaction=bool(reaction),
        )
        for at, kind, reaction, tz in rows
    ]


donors.HISTORY_SOURCES.append(blood_donations)


@dataclass(frozen=True)
class BloodDonationInput:
    donor: str  # card number or resident ID
    kind: str  # whole_blood | platelets
    volume_ml: int
    screening: rules.Screening
    adverse_reaction: str | None = None


def record_blood_donation(
    *, session: Session, actor: Actor, data: BloodDonationInput
) -> BloodDonation:
    """Collect whole blood or apheresis platelets; the same engine and deferral registry
    decide first (profile cn-whole-blood), and a refusal lists every reason."""
    require_role(actor, Role.COLLECTOR)
    centre = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE)
    try:
        donor = donors.find_donor(session=session, actor=actor, query=data.donor)
    except donors.RegisteredElsewhere:
        # The one-station rule is about plasma: a plasma station's donor may still give
        # whole blood at a blood centre, identified by the resident ID shown at the visit.
        donor = donors.find_registered(session=session, query=data.donor)
    errors: dict[str, list[str]] = {}
    if data.kind not in ("whole_blood", "platelets"):
        errors["kind"] = [_("Whole blood or apheresis platelets.")]
    elif data.kind == "whole_blood" and data.volume_ml not in WHOLE_BLOOD_VOLUMES:
        errors["volume_ml"] = [_("Whole blood is collected as 200, 300 or 400 mL.")]
    elif data.volume_ml <= 0 or data.volume_ml > 600:
        errors["volume_ml"] = [_("Between 1 and 600 mL.")]
    if errors:
        raise ValidationFailed(errors)
    today = donors.local_today(centre)
    decision = rules.decide(
        donors.profile_for(centre),
        rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        data.screening,
        donors.donor_history(session, donor),
        today,
        rules.DonationKind(data.kind),
    )
    if not decision.eligible:
        raise ValidationFailed(
            {"eligibility": [describe(r) for r in decision.reasons]},
            _l("The donor may not donate today."),
        )
    if not centre.facility_id:
        raise Conflict(_l("This blood centre has no ISBT 128 facility identification number."))
    sequence = next_value(session, f"din:{centre.facility_id}:{today.year % 100:02d}")
    din = isbt128.make_din(centre.facility_id, today.year, sequence)
    donation = BloodDonation(
        donor_id=donor.id,
        centre_id=centre.id,
        din=din,
        check_character=isbt128.check_character(din),
        kind=data.kind,
        volume_ml=data.volume_ml,
        collected_at=utcnow(),
        collected_by_id=actor.user_id,
        adverse_reaction=data.adverse_reaction,
        abo=donor.abo,
        rhd=donor.rhd,
        screening={k: v for k, v in vars(data.screening).items() if isinstance(v, int | float)},
    )
    session.add(donation)
    audit.record(session, actor, "blood.collect", donation, organisation=centre)
    return donation


@dataclass(frozen=True)
class ComponentInput:
    product_code: str
    volume_ml: int
    division: str = "00"
    expires_at: datetime | None = None  # default: collection + the product's shelf life


def produce_components(
    *, session: Session, actor: Actor, donation_id: int, components: list[ComponentInput]
) -> list[Unit]:
    """Split a donation into units (pending tests), each DIN + product code + division."""
    require_role(actor, Role.STOCK_CLERK, Role.LAB)
    centre = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE)
    donation = session.get(BloodDonation, donation_id)
    if donation is None or donation.centre_id != centre.id:
        raise NotFound()
    if not donation.abo or not donation.rhd:
        raise ValidationFailed({"abo": [_("The donor's ABO/RhD group must be known first.")]})
    errors: dict[str, list[str]] = {}
    units = []
    seen = set()
    for index, item in enumerate(components):
        key = f"components.{index}"
        code = product(session, item.product_code)
        if code is None:
            errors[f"{key}.product_code"] = [
                _("Unknown product code %(code)s.", code=item.product_code)
            ]
            continue
        if not (len(item.division) == 2 and item.division.isalnum()):
            errors[f"{key}.division"] = [_("A division is 2 characters, 00 when undivided.")]
        if item.volume_ml <= 0:
            errors[f"{key}.volume_ml"] = [_("Must be more than 0.")]
        expires = item.expires_at or donation.collected_at + shelf_life(code)
        if expires <= donation.collected_at:
            errors[f"{key}.expires_at"] = [_("The expiry must be after the collection.")]
        identity = (code.code, item.division)
        if (
            identity in seen
            or session.exec(
                select(Unit.id).where(
                    Unit.din == donation.din,
                    Unit.product_code == code.code,
                    Unit.division == item.division,
                )
            ).first()
        ):
            errors[f"{key}.product_code"] = [_("This component already exists for this DIN.")]
        seen.add(identity)
        units.append(
            Unit(
                din=donation.din,
                check_character=donation.check_character,
                product_code=code.code,
                division=item.division,
                component=code.component,
                abo=donation.abo,
                rhd=donation.rhd,
                volume_ml=item.volume_ml,
                collected_at=donation.collected_at,
                expires_at=expires,
                owner_id=centre.id,
                centre_id=centre.id,
                donation_id=donation.id,
            )
        )
    if not components:
        errors["components"] = [_("Give at least one component.")]
    if errors:
        raise ValidationFailed(errors)
    for unit in units:
        session.add(unit)
        audit.record(session, actor, "unit.produce", unit, organisation=centre)
    return units


# --- finding units -------------------------------------------------------------------------


def find_unit(
    *, session: Session, actor: Actor, din: str, product_code: str, division: str = "00"
) -> Unit:
    """A unit held by (or produced by) an organisation the actor may see. A wrong check
    character on a scanned DIN is refused."""
    try:
        parsed = isbt128.parse_din(din)
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [_("Not a valid DIN: %(why)s", why=str(error))]}) from None
    unit = session.exec(
        select(Unit).where(
            Unit.din == parsed.din,
            Unit.product_code == (product_code or "").strip().upper(),
            Unit.division == (division or "00"),
            sa.or_(
                Unit.owner_id.in_(visible_org_ids(actor)),
                Unit.centre_id.in_(visible_org_ids(actor)),
            )
            if not actor.is_system
            else sa.true(),
        )
    ).first()
    if unit is None:
        raise NotFound()
    return unit


# --- the one transition function ------------------------------------------------------------

ACTION_WORDS = {
    Action.RELEASE: _l("released"),
    Action.RESERVE: _l("reserved"),
    Action.UNRESERVE: _l("unreserved"),
    Action.ISSUE: _l("issued"),
    Action.RECEIVE: _l("received"),
    Action.TRANSFUSE: _l("transfused"),
    Action.RETURN: _l("returned"),
    Action.RESTOCK: _l("restocked"),
    Action.DISCARD: _l("discarded"),
    Action.EXPIRE: _l("expired"),
}
STATE_WORDS = {
    UnitState.PENDING_TESTS: _l("waiting for test results"),
    UnitState.AVAILABLE: _l("available"),
    UnitState.RESERVED: _l("reserved"),
    UnitState.ISSUED: _l("in transit"),
    UnitState.RECEIVED: _l("in hospital stock"),
    UnitState.TRANSFUSED: _l("transfused"),
    UnitState.RETURNED: _l("returned"),
    UnitState.DISCARDED: _l("discarded"),
    UnitState.EXPIRED: _l("expired"),
}


def transition(
    session: Session,
    actor: Actor,
    unit: Unit,
    action: Action,
    *,
    holder: Organisation,
    new_owner: Organisation | None = None,
    reason: str | None = None,
    order_id: int | None = None,
    now: datetime | None = None,
) -> Unit:
    """Move `unit` by `action` if the state machine allows it and `holder` holds it."""
    now = now or utcnow()
    expired = unit.expires_at <= now
    try:
        target = next_state(unit.state, action, expired=expired)
    except InvalidTransition as refused:
        if refused.refusal.code == "expired":
            raise UnitExpired(
                unit=unit.label,
                expired=unit.expires_at.date().isoformat(),
                action=str(ACTION_WORDS[action]),
            ) from None
        raise TransitionRefused(
            unit=unit.label,
            action=str(ACTION_WORDS[action]),
            state=str(STATE_WORDS[UnitState(unit.state)]),
        ) from None
    if unit.owner_id != holder.id:
        raise Forbidden()
    before = unit.state
    values: dict[str, Any] = {"state": target.value, "updated_at": now}
    if new_owner is not None:
        values["owner_id"] = new_owner.id
    if action is Action.DISCARD:
        values["discard_reason"] = reason
    if action is Action.RESERVE:
        values["reserved_for_order_id"] = order_id
    if action in (Action.UNRESERVE, Action.ISSUE):
        values["reserved_for_order_id"] = None
    # The guard: only one of two racing requests finds the unit still in an allowed state.
    result = session.execute(
        sa.update(Unit)
        .where(
            Unit.id == unit.id,
            Unit.owner_id == holder.id,
            Unit.state.in_([s.value for s in allowed_from(action)]),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(unit)
        raise TransitionRefused(
            unit=unit.label,
            action=str(ACTION_WORDS[action]),
            state=str(STATE_WORDS[UnitState(unit.state)]),
        )
    session.refresh(unit)
    session.add(
        UnitMovement(
            unit_id=unit.id,
            action=action.value,
            from_state=before,
            to_state=target.value,
            organisation_id=holder.id,
            counterpart_id=new_owner.id if new_owner else None,
            component=unit.component,
            abo=unit.abo,
            rhd=unit.rhd,
            at=now,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor,
        f"unit.{action.value}",
        unit,
        organisation=holder,
        changes={"state": [before, target.value], "reason": [None, reason]},
    )
    return unit


def release_tested(*, session: Session, actor: Actor, unit_ids: list[int]) -> list[Unit]:
    require_role(actor, Role.QUALITY, Role.LAB)
    centre = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE)
    units = session.exec(
        select(Unit).where(Unit.id.in_(unit_ids), Unit.owner_id == centre.id)
    ).all()
    if len(units) != len(set(unit_ids)):
        raise NotFound()
    return [transition(session, actor, u, Action.RELEASE, holder=centre) for u in units]


def hospital_action(
    *, session: Session, actor: Actor, unit: Unit, action: Action, reason: str | None = None
) -> Unit:
    """Transfuse, return or discard a unit held by the actor's hospital (or, for discard, by
    the actor's blood centre)."""
    if action not in (Action.TRANSFUSE, Action.RETURN, Action.DISCARD, Action.RESTOCK):
        raise ValidationFailed({"action": [_("Transfuse, return, discard or restock.")]})
    if action is Action.DISCARD and reason not in DISCARD_REASONS:
        raise ValidationFailed({"reason": [_("Choose a discard reason from the list.")]})
    if action is Action.RESTOCK:
        require_role(actor, Role.STOCK_CLERK, Role.QUALITY)
        holder = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE)
        if unit.owner_id != holder.id:
            raise Forbidden()
        return transition(session, actor, unit, action, holder=holder)
    if action is Action.DISCARD:
        require_role(actor, Role.TRANSFUSION_OFFICER, Role.STOCK_CLERK, Role.QUALITY)
        holder = acting_organisation(session, actor, OrgKind.HOSPITAL, OrgKind.BLOOD_CENTRE)
        return transition(session, actor, unit, action, holder=holder, reason=reason)
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_organisation(session, actor, OrgKind.HOSPITAL)
    new_owner = session.get(Organisation, unit.centre_id) if action is Action.RETURN else None
    return transition(
        session, actor, unit, action, holder=hospital, new_owner=new_owner, reason=reason
    )


# --- orders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineInput:
    component: str
    abo: str
    rhd: str
    quantity: int


def create_order(
    *,
    session: Session,
    actor: Actor,
    centre_code: str,
    urgency: str,
    lines: list[OrderLineInput],
    note: str | None = None,
) -> Order:
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_organisation(session, actor, OrgKind.HOSPITAL)
    errors: dict[str, list[str]] = {}
    centre = session.exec(
        select(Organisation).where(
            Organisation.code == (centre_code or "").strip().upper(),
            Organisation.kind == OrgKind.BLOOD_CENTRE,
            Organisation.active,
        )
    ).first()
    if centre is None:
        errors["centre"] = [_("Choose a blood centre from the list.")]
    if urgency not in ("routine", "urgent", "emergency"):
        errors["urgency"] = [_("Routine, urgent or emergency.")]
    if not lines:
        errors["lines"] = [_("Order at least one unit.")]
    for index, line in enumerate(lines):
        key = f"lines.{index}"
        if line.component not in COMPONENTS:
            errors[f"{key}.component"] = [_("Unknown component.")]
        if (line.abo, line.rhd) not in GROUPS:
            errors[f"{key}.abo"] = [_("Not an ABO/RhD group.")]
        if line.quantity <= 0:
            errors[f"{key}.quantity"] = [_("Must be more than 0.")]
    if errors:
        raise ValidationFailed(errors)
    order = Order(
        number=f"{hospital.code}-O{next_value(session, f'order:{hospital.id}'):05d}",
        hospital_id=hospital.id,
        centre_id=centre.id,
        urgency=urgency,
        note=(note or "").strip() or None,
        created_by=actor.name,
    )
    session.add(order)
    session.flush()
    for line in lines:
        session.add(
            OrderLine(
                order_id=order.id,
                component=line.component,
                abo=line.abo,
                rhd=line.rhd,
                quantity=line.quantity,
            )
        )
    audit.record(
        session,
        actor,
        "order.create",
        order,
        organisation=hospital,
        changes={"lines": [None, [vars(line) for line in lines]]},
    )
    return order


def _visible_orders(actor: Actor):
    statement = select(Order)
    if actor.is_system:
        return statement
    visible = visible_org_ids(actor)
    return statement.where(sa.or_(Order.hospital_id.in_(visible), Order.centre_id.in_(visible)))


def list_orders(*, session: Session, actor: Actor) -> list[Order]:
    return list(session.exec(_visible_orders(actor).order_by(Order.created_at.desc())).all())


def get_order(*, session: Session, actor: Actor, order_id: int) -> Order:
    order = session.exec(_visible_orders(actor).where(Order.id == order_id)).first()
    if order is None:
        raise NotFound()
    return order


def order_lines(session: Session, order: Order) -> list[OrderLine]:
    return list(
        session.exec(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
        ).all()
    )


def fefo_suggestion(*, session: Session, actor: Actor, order_id: int) -> dict[int, list[Unit]]:
    """For each order line, the centre's available units of that component and group, first
    to expire first (expired ones excluded). The clerk may pick others."""
    order = get_order(session=session, actor=actor, order_id=order_id)
    now = utcnow()
    suggestion = {}
    for line in order_lines(session, order):
        missing = line.quantity - line.fulfilled
        if missing <= 0:
            suggestion[line.id] = []
            continue
        suggestion[line.id] = list(
            session.exec(
                select(Unit)
                .where(
                    Unit.owner_id == order.centre_id,
                    Unit.state == UnitState.AVAILABLE,
                    Unit.component == line.component,
                    Unit.abo == line.abo,
                    Unit.rhd == line.rhd,
                    Unit.expires_at > now,
                )
                .order_by(Unit.expires_at, Unit.id)
                .limit(missing)
            ).all()
        )
    return suggestion


def candidate_units(session: Session, order: Order) -> list[Unit]:
    """Every unit the centre could send for the order's open lines (the clerk's choice)."""
    wanted = [
        sa.and_(Unit.component == ln.component, Unit.abo == ln.abo, Unit.rhd == ln.rhd)
        for ln in order_lines(session, order)
        if ln.fulfilled < ln.quantity
    ]
    if not wanted:
        return []
    return list(
        session.exec(
            select(Unit)
            .where(
                Unit.owner_id == order.centre_id,
                Unit.state == UnitState.AVAILABLE,
                Unit.expires_at > utcnow(),
                sa.or_(*wanted),
            )
            .order_by(Unit.component, Unit.abo, Unit.rhd, Unit.expires_at)
        ).all()
    )


def _dispatch(
    session: Session,
    actor: Actor,
    units: list[Unit],
    *,
    source: Organisation,
    destination: Organisation,
    kind: str,
    order: Order | None = None,
) -> Dispatch:
    dispatch = Dispatch(
        number=f"{source.code}-D{next_value(session, f'dispatch:{source.id}'):05d}",
        kind=kind,
        from_id=source.id,
        to_id=destination.id,
        order_id=order.id if order else None,
        dispatched_by=actor.name,
    )
    session.add(dispatch)
    session.flush()
    for unit in units:
        transition(session, actor, unit, Action.ISSUE, holder=source, new_owner=destination)
        session.add(DispatchItem(dispatch_id=dispatch.id, unit_id=unit.id))
    audit.record(
        session,
        actor,
        f"dispatch.{kind}",
        dispatch,
        organisation=source,
        changes={"units": [None, [u.label for u in units]], "to": [None, destination.code]},
    )
    return dispatch


def fulfil_order(*, session: Session, actor: Actor, order_id: int, unit_ids: list[int]) -> Dispatch:
    """Issue the chosen units against the order: each must match an open line's component
    and exact ABO/RhD group, be available at this centre and not expired."""
    require_role(actor, Role.STOCK_CLERK)
    centre = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE)
    order = get_order(session=session, actor=actor, order_id=order_id)
    if order.centre_id != centre.id:
        raise Forbidden()
    if order.status in ("fulfilled", "cancelled"):
        raise Conflict(_l("This order is already fulfilled or cancelled."))
    if not unit_ids or len(set(unit_ids)) != len(unit_ids):
        raise ValidationFailed({"units": [_("Choose each unit once, at least one.")]})
    units = session.exec(select(Unit).where(Unit.id.in_(unit_ids))).all()
    if len(units) != len(unit_ids) or any(u.owner_id != centre.id for u in units):
        raise ValidationFailed({"units": [_("Some units are not in this centre's stock.")]})
    lines = order_lines(session, order)
    open_counts = {line.id: line.quantity - line.fulfilled for line in lines}
    errors: list[str] = []
    for unit in units:
        line = next(
            (
                ln
                for ln in lines
                if (ln.component, ln.abo, ln.rhd) == (unit.component, unit.abo, unit.rhd)
                and open_counts[ln.id] > 0
            ),
            None,
        )
        if line is None:
            errors.append(_("%(unit)s matches no open line of the order.", unit=unit.label))
            continue
        open_counts[line.id] -= 1
        line.fulfilled += 1
    if errors:
        raise ValidationFailed({"units": errors})
    hospital = session.get(Organisation, order.hospital_id)
    dispatch = _dispatch(
        session, actor, list(units), source=centre, destination=hospital, kind="issue", order=order
    )
    order.status = "fulfilled" if all(ln.fulfilled >= ln.quantity for ln in lines) else "partial"
    return dispatch


def transfer_units(*, session: Session, actor: Actor, to_code: str, units: list[Unit]) -> Dispatch:
    """Hospital to hospital: the same dispatch and receipt as an issue."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_organisation(session, actor, OrgKind.HOSPITAL)
    destination = session.exec(
        select(Organisation).where(
            Organisation.code == (to_code or "").strip().upper(),
            Organisation.kind == OrgKind.HOSPITAL,
            Organisation.active,
        )
    ).first()
    if destination is None or destination.id == hospital.id:
        raise ValidationFailed({"to": [_("Choose another hospital.")]})
    if not units:
        raise ValidationFailed({"units": [_("Choose at least one unit.")]})
    return _dispatch(
        session, actor, units, source=hospital, destination=destination, kind="transfer"
    )


def _visible_dispatches(actor: Actor):
    statement = select(Dispatch)
    if actor.is_system:
        return statement
    visible = visible_org_ids(actor)
    return statement.where(sa.or_(Dispatch.from_id.in_(visible), Dispatch.to_id.in_(visible)))


def get_dispatch(
    *, session: Session, actor: Actor, dispatch_id: int | None = None, number: str | None = None
) -> Dispatch:
    statement = _visible_dispatches(actor)
    statement = (
        statement.where(Dispatch.id == dispatch_id)
        if dispatch_id is not None
        else statement.where(Dispatch.number == (number or "").strip().upper())
    )
    dispatch = session.exec(statement).first()
    if dispatch is None:
        raise NotFound()
    return dispatch


def list_dispatches(*, session: Session, actor: Actor) -> list[Dispatch]:
    return list(
        session.exec(_visible_dispatches(actor).order_by(Dispatch.dispatched_at.desc())).all()
    )


def dispatch_units(session: Session, dispatch: Dispatch) -> list[tuple[DispatchItem, Unit]]:
    return list(
        session.exec(
            select(DispatchItem, Unit)
            .join(Unit, Unit.id == DispatchItem.unit_id)
            .where(DispatchItem.dispatch_id == dispatch.id)
            .order_by(Unit.din)
        ).all()
    )


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
) -> Dispatch:
    """The receiving hospital confirms every unit once, with its temperature flag; a unit
    that arrived out of temperature range is received and discarded at once."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    hospital = acting_organisation(session, actor, OrgKind.HOSPITAL)
    dispatch = get_dispatch(session=session, actor=actor, dispatch_id=dispatch_id, number=number)
    if dispatch.to_id != hospital.id:
        raise Forbidden()
    if dispatch.status == "received":
        raise Conflict(_l("This dispatch was already received."))
    items = dispatch_units(session, dispatch)
    by_identity = {(u.din, u.product_code, u.division): (item, u) for item, u in items}
    errors: dict[str, list[str]] = {}
    matched = {}
    for index, line in enumerate(lines):
        try:
            din = isbt128.parse_din(line.din).din
        except isbt128.InvalidDin as error:
            errors[f"units.{index}.din"] = [str(error)]
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
    if errors:
        raise ValidationFailed(errors)
    source = session.get(Organisation, dispatch.from_id)
    for key, line in matched.items():
        item, unit = by_identity[key]
        item.temperature_ok = line.temperature_ok
        transition(session, actor, unit, Action.RECEIVE, holder=hospital)
        if not line.temperature_ok:
            transition(
                session,
                actor,
                unit,
                Action.DISCARD,
                holder=hospital,
                reason="temperature_excursion",
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


# --- expiry ------------------------------------------------------------------------------


def expire_units(session: Session, *, now: datetime | None = None) -> int:
    """Mark every live unit past its expiry as expired. Idempotent: run it as often as you
    like (the daily job does; so does ``flask --app app blood expire-units``)."""
    now = now or utcnow()
    due = session.exec(
        select(Unit).where(
            Unit.expires_at <= now, Unit.state.in_([s.value for s in allowed_from(Action.EXPIRE)])
        )
    ).all()
    system = Actor.system("expiry")
    count = 0
    for unit in due:
        holder = session.get(Organisation, unit.owner_id)
        try:
            transition(session, system, unit, Action.EXPIRE, holder=holder, now=now)
        except TransitionRefused:
            continue  # changed meanwhile by someone else: nothing to do
        count += 1
    return count


def near_expiry(*, session: Session, actor: Actor, within_hours: int = 72) -> list[Unit]:
    now = utcnow()
    org = acting_organisation(session, actor, OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)
    return list(
        session.exec(
            select(Unit)
            .where(
                Unit.owner_id == org.id,
                Unit.state.in_([UnitState.AVAILABLE, UnitState.RESERVED, UnitState.RECEIVED]),
                Unit.expires_at > now,
                Unit.expires_at <= now + timedelta(hours=within_hours),
            )
            .order_by(Unit.expires_at)
        ).all()
    )


# --- stock levels ----------------------------------------------------------------------------

ON_HAND = (UnitState.AVAILABLE, UnitState.RESERVED, UnitState.RECEIVED)


@dataclass(frozen=True)
class StockLevel:
    component: str
    abo: str
    rhd: str
    on_hand: int
    daily_usage: float
    days_of_supply: float | None  # None: no usage in the window
    phase: str  # green | pre_amber | amber | red | none

    @property
    def group(self) -> str:
        return f"{self.abo}{self.rhd}"


def thresholds_for(component: str, group: str) -> dict[str, float]:
    configured = {}
    if has_app_context():
        configured = current_app.config.get("STOCK_ALERT_THRESHOLDS", {}).get(component, {})
    base = {
        **DEFAULT_THRESHOLDS[component],
        **{k: v for k, v in configured.items() if k in ("pre_amber", "amber", "red")},
    }
    return {**base, **configured.get(group, {})}


def phase_of(days: float | None, on_hand: int, limits: dict[str, float]) -> str:
    """Green at or above pre-amber's threshold; then pre-amber, amber, red."""
    if days is None:
        return "none" if on_hand == 0 else "green"
    if days >= limits["pre_amber"]:
        return "green"
    if days >= limits["amber"]:
        return "pre_amber"
    if days >= limits["red"]:
        return "amber"
    return "red"


def usage_window_days() -> int:
    if has_app_context():
        return int(current_app.config.get("STOCK_USAGE_WINDOW_DAYS", USAGE_WINDOW_DAYS))
    return USAGE_WINDOW_DAYS


def stock_levels(
    *,
    session: Session,
    actor: Actor,
    organisation_ids: list[int] | None = None,
    now: datetime | None = None,
) -> list[StockLevel]:
    """Units on hand, average daily usage over the window (a centre's issues, a hospital's
    transfusions) and days of supply, per component and ABO/RhD group, summed over the
    organisations given (default: every organisation the actor may see)."""
    now = now or utcnow()
    window = usage_window_days()
    if organisation_ids is None:
        scope = visible_org_ids(actor)
    else:
        allowed = set(session.exec(visible_org_ids(actor)).all())
        if not set(organisation_ids) <= allowed:
            raise NotFound()
        scope = organisation_ids
    held = session.exec(
        select(Unit.component, Unit.abo, Unit.rhd, func.count())
        .where(
            Unit.owner_id.in_(scope),
            Unit.state.in_([s.value for s in ON_HAND]),
            Unit.expires_at > now,
        )
        .group_by(Unit.component, Unit.abo, Unit.rhd)
    ).all()
    used = session.exec(
        select(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd, func.count())
        .join(Organisation, Organisation.id == UnitMovement.organisation_id)
        .where(
            UnitMovement.organisation_id.in_(scope),
            UnitMovement.at > now - timedelta(days=window),
            sa.or_(
                sa.and_(
                    UnitMovement.action == Action.ISSUE, Organisation.kind == OrgKind.BLOOD_CENTRE
                ),
                sa.and_(
                    UnitMovement.action == Action.TRANSFUSE, Organisation.kind == OrgKind.HOSPITAL
                ),
            ),
        )
        .group_by(UnitMovement.component, UnitMovement.abo, UnitMovement.rhd)
    ).all()
    on_hand = defaultdict(int, {(c, a, r): n for c, a, r, n in held})
    usage = defaultdict(int, {(c, a, r): n for c, a, r, n in used})
    levels = []
    for component in COMPONENTS:
        for abo, rhd in GROUPS:
            key = (component, abo, rhd)
            daily = usage[key] / window
            days = on_hand[key] / daily if daily else None
            phase = phase_of(days, on_hand[key], thresholds_for(component, f"{abo}{rhd}"))
            levels.append(
                StockLevel(
                    component,
                    abo,
                    rhd,
                    on_hand[key],
                    round(daily, 2),
                    round(days, 1) if days is not None else None,
                    phase,
                )
            )
    return levels
