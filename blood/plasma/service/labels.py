"""What a station's labels and papers print: each unit's ISBT 128 label data, and a
shipment's packing list (the units, boxed, with the barcodes the manufacturer scans)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from blood import isbt128
from blood.accounts.scoping import Actor
from blood.plasma.models import Collection
from blood.plasma.service.collection import find_unit
from blood.plasma.service.reports import ShipmentDetails, shipment_details


@dataclass(frozen=True)
class PlasmaLabel:
    unit: Collection
    data: isbt128.LabelData


def label_of(unit: Collection) -> PlasmaLabel:
    """A unit's label: source plasma (a local placeholder product code), no printed expiry
    (the manufacturer's acceptance rules govern source plasma)."""
    return PlasmaLabel(
        unit=unit,
        data=isbt128.label_data(
            din=unit.din,
            abo=unit.abo,
            rhd=unit.rhd,
            product_code=isbt128.SOURCE_PLASMA_PRODUCT_CODE,
            collected_at=unit.started_at,
        ),
    )


def unit_print_label(*, session: Session, actor: Actor, scanned: str) -> PlasmaLabel:
    return label_of(find_unit(session=session, actor=actor, scanned=scanned))


@dataclass(frozen=True)
class ShipmentPapers:
    details: ShipmentDetails
    labels: list[PlasmaLabel]


def shipment_papers(*, session: Session, actor: Actor, shipment_id: int) -> ShipmentPapers:
    """A shipment (the sender's or the addressee's) with every unit's label."""
    details = shipment_details(session=session, actor=actor, shipment_id=shipment_id)
    return ShipmentPapers(details=details, labels=[label_of(u) for _item, u in details.items])
