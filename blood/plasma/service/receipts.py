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
    *,
    session: Session,
    actor: Actor,
    shipment_id: int,
    discrepancies: list[DiscrepancyInput],
    scanned: str | None = None,
) -> None:
    """Refuse, as ``confirm_receipt`` would, without writing anything: the page asks for
    confirmation of a receipt with discrepancies only once they are valid."""
    _checked_receipt(session, actor, shipment_id, discrepancies, scanned)


def _scan_errors(
    scanned: str | None, shipment: Shipment, items: dict, declared: set[str]
) -> list[str]:
    """What is wrong with the receipt's scans (one code a line): a wrong check character or
    flag, another shipment's number, a unit not on the list, a unit neither scanned nor
    declared missing or damaged. No scans at all: nothing to check."""
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
            "%(number)s is not this shipment's number (%(expected)s).",
            number=n,
            expected=shipment.number,
        )
        for n in reading.numbers
        if n != shipment.number.upper()
    ]
    errors += [
        _("%(din)s is not on the shipment list.", din=din)
        for din in reading.dins
        if din not in items
    ]
    unscanned = [din for din in items if din not in reading.dins and din not in declared]
    if unscanned and not errors:
        errors.append(
            _(
                "Not scanned: %(dins)s. Scan them, or list them as missing or damaged.",
                dins=", ".join(unscanned),
            )
        )
    return errors


def _checked_receipt(
    session: Session,
    actor: Actor,
    shipment_id: int,
    discrepancies: list[DiscrepancyInput],
    scanned: str | None = None,
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
    scan_errors = _scan_errors(
        scanned, shipment, items, {din for entry, din in parsed if entry.kind != "extra"}
    )
    if scan_errors:
        errors["scanned"] = scan_errors
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
    scanned: str | None = None,
) -> Shipment:
    """The manufacturer confirms receipt once, reporting missing, damaged or extra units.
    ``scanned`` (one code a line: the packing list's barcodes) checks the units in: when
    given, every unit on the list is scanned or declared missing or damaged."""
    shipment, items, parsed = _checked_receipt(session, actor, shipment_id, discrepancies, scanned)
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
