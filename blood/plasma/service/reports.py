"""What a shipment looks like: to the people on either side (its page) and to the
manufacturer's system (the API), read in a few queries whatever the number of shipments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.pagination import Page, PageRequest
from blood.plasma.models import Collection, Shipment, ShipmentDiscrepancy, ShipmentItem
from blood.plasma.service.receipts import receipt_refusal
from blood.plasma.service.shipments import (
    discrepancies_of,
    get_shipment,
    list_shipments,
    shipment_items,
)


@dataclass(frozen=True)
class ShipmentDetails:
    """A shipment's page."""

    shipment: Shipment
    station: Organisation
    manufacturer: Organisation
    items: list[tuple[ShipmentItem, Collection]]
    discrepancies: list[ShipmentDiscrepancy]
    can_receive: bool  # the actor may confirm its receipt now (see receipt_refusal)


def shipment_details(*, session: Session, actor: Actor, shipment_id: int) -> ShipmentDetails:
    shipment = get_shipment(session=session, actor=actor, shipment_id=shipment_id)
    parties = _organisations(session, [shipment])
    return ShipmentDetails(
        shipment=shipment,
        station=parties[shipment.station_id],
        manufacturer=parties[shipment.manufacturer_id],
        items=shipment_items(session, shipment),
        discrepancies=discrepancies_of(session, shipment),
        can_receive=receipt_refusal(actor, shipment) is None,
    )


@dataclass(frozen=True)
class ShippedUnit:
    din: str
    check_character: str
    box: str
    weight_g: float
    blood_group: str
    receipt_status: str | None


@dataclass(frozen=True)
class ShipmentReport:
    """A shipment for the API: the organisations by their codes."""

    id: int
    number: str
    station: str
    manufacturer: str
    status: str
    shipped_at: datetime
    received_at: datetime | None
    items: list[ShippedUnit]
    discrepancies: list[ShipmentDiscrepancy]


def shipment_reports(*, session: Session, actor: Actor, page: PageRequest) -> Page[ShipmentReport]:
    """A page of the shipments the actor sent (station) or is to receive (manufacturer),
    latest first, as the API shows them."""
    found = list_shipments(session=session, actor=actor, page=page)
    return replace(found, items=_reports(session, found.items))


def shipment_report(*, session: Session, actor: Actor, shipment_id: int) -> ShipmentReport:
    [report] = _reports(
        session, [get_shipment(session=session, actor=actor, shipment_id=shipment_id)]
    )
    return report


def _organisations(session: Session, shipments: list[Shipment]) -> dict[int, Organisation]:
    """Both parties of every shipment, in one query."""
    ids = {s.station_id for s in shipments} | {s.manufacturer_id for s in shipments}
    orgs = session.exec(select(Organisation).where(Organisation.id.in_(ids))).all()
    return {org.id: org for org in orgs}


def _reports(session: Session, shipments: list[Shipment]) -> list[ShipmentReport]:
    if not shipments:
        return []
    ids = [s.id for s in shipments]
    orgs = _organisations(session, shipments)
    units: dict[int, list[ShippedUnit]] = defaultdict(list)
    for item, unit in session.exec(
        select(ShipmentItem, Collection)
        .join(Collection, Collection.id == ShipmentItem.collection_id)
        .where(ShipmentItem.shipment_id.in_(ids))
        .order_by(ShipmentItem.shipment_id, ShipmentItem.box_label, Collection.din)
    ).all():
        units[item.shipment_id].append(
            ShippedUnit(
                din=unit.din,
                check_character=unit.check_character,
                box=item.box_label,
                weight_g=unit.total_weight_g,
                blood_group=unit.blood_group,
                receipt_status=item.receipt_status,
            )
        )
    discrepancies: dict[int, list[ShipmentDiscrepancy]] = defaultdict(list)
    for found in session.exec(
        select(ShipmentDiscrepancy)
        .where(ShipmentDiscrepancy.shipment_id.in_(ids))
        .order_by(ShipmentDiscrepancy.id)
    ).all():
        discrepancies[found.shipment_id].append(found)
    return [
        ShipmentReport(
            id=s.id,
            number=s.number,
            station=orgs[s.station_id].code,
            manufacturer=orgs[s.manufacturer_id].code,
            status=s.status,
            shipped_at=s.shipped_at,
            received_at=s.received_at,
            items=units[s.id],
            discrepancies=discrepancies[s.id],
        )
        for s in shipments
    ]
