"""The manufacturer's receipt of a shipment: once, reporting missing, damaged or extra units."""

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
from blood.errors import Conflict, DomainError, Forbidden, ValidationFailed
from blood.plasma.models import Shipment, ShipmentDiscrepancy
from blood.plasma.service.shipments import get_shipment, shipment_items
from blood.validation_messages import describe_invalid_din


@dataclass(frozen=True)
class DiscrepancyInput:
    kind: str
    din: str
    note: str | None = None


def receipt_refusal(actor: Actor, shipment: Shipment) -> DomainError | None:
    """Why ``actor`` may not confirm receipt of ``shipment`` now, or None when they may.

    Only a receiving clerk of the manufacturer it was sent to, and only once. The shipment
    page offers the receipt form when this is None; ``confirm_receipt`` raises it otherwise.
    """
    if (
        not actor.has_role(Role.RECEIVING_CLERK)
        or actor.organisation_id != shipment.manufacturer_id
    ):
        return Forbidden()
    if shipment.status != "shipped":
        return Conflict(_l("This shipment's receipt was already confirmed."))
    return None


def check_receipt(
    *, session: Session, actor: Actor, shipment_id: int, discrepancies: list[DiscrepancyInput]
) -> None:
    """Refuse, as ``confirm_receipt`` would, without writing anything: the page asks for
    confirmation of a receipt with discrepancies only once they are valid."""
    _checked_receipt(session, actor, shipment_id, discrepancies)


def _checked_receipt(
    session: Session, actor: Actor, shipment_id: int, discrepancies: list[DiscrepancyInput]
) -> tuple[Shipment, dict, list[tuple[DiscrepancyInput, str]]]:
    require_role(actor, Role.RECEIVING_CLERK)
    shipment = get_shipment(session=session, actor=actor, shipment_id=shipment_id)
    refusal = receipt_refusal(actor, shipment)
    if refusal is not None:
        raise refusal
    items = {unit.din: item for item, unit in shipment_items(session, shipment)}
    errors: dict[str, list[str]] = {}
    parsed: list[tuple[DiscrepancyInput, str]] = []
    for index, entry in enumerate(discrepancies):
        key = f"discrepancies.{index}"
        try:
            din = isbt128.parse_din(entry.din).din
        except isbt128.InvalidDin as error:
            errors[f"{key}.din"] = [describe_invalid_din(error)]
            continue
        if entry.kind not in ("missing", "damaged", "extra"):
            errors[f"{key}.kind"] = [_("Missing, damaged or extra.")]
        elif entry.kind == "extra" and din in items:
            errors[f"{key}.din"] = [_("This unit is on the shipment list, so it is not extra.")]
        elif entry.kind != "extra" and din not in items:
            errors[f"{key}.din"] = [_("This unit is not on the shipment list.")]
        parsed.append((entry, din))
    if errors:
        raise ValidationFailed(errors)
    return shipment, items, parsed


def confirm_receipt(
    *,
    session: Session,
    actor: Actor,
    shipment_id: int,
    discrepancies: list[DiscrepancyInput],
    received_by: str | None = None,
    note: str | None = None,
) -> Shipment:
    """The manufacturer confirms receipt once, reporting missing, damaged or extra units."""
    shipment, items, parsed = _checked_receipt(session, actor, shipment_id, discrepancies)
    before = audit.snapshot(shipment, ["status", "received_at"])
    problems = {din: entry.kind for entry, din in parsed if entry.kind != "extra"}
    for din, item in items.items():
        item.receipt_status = problems.get(din, "ok")
    for entry, din in parsed:
        session.add(
            ShipmentDiscrepancy(
                shipment_id=shipment.id, kind=entry.kind, din=din, note=(entry.note or None)
            )
        )
    shipment.status = "received"
    shipment.received_at = utcnow()
    shipment.received_by = (received_by or actor.name)[:100]
    shipment.receipt_note = (note or "").strip()[:500] or None
    audit.record(
        session,
        actor,
        "plasma.shipment_receipt",
        shipment,
        before=before,
        organisation=session.get(Organisation, shipment.station_id),
    )
    return shipment
