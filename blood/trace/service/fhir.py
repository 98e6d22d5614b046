"""A unit as FHIR R5 ``BiologicallyDerivedProduct``, a transfusion as
``BiologicallyDerivedProductDispense``: plain JSON written here (the application needs no FHIR
library; the tests validate the documents with ``fhir.resources``).

The unit is looked up through the trace, so the same scope applies: a unit outside the actor's
links of the chain is "not found"."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical.models import Transfusion
from blood.errors import NotFound
from blood.stock.lifecycle import UnitState
from blood.stock.models import ProductCode, Unit
from blood.trace.service.trace import parse, trace_din

ISBT128 = "http://hl7.org/fhir/sid/isbt128"
CATEGORY = "http://hl7.org/fhir/product-category"
STATUS = "http://hl7.org/fhir/biologicallyderived-product-status"
# The states in which a unit may still be used.
_AVAILABLE = {UnitState.AVAILABLE, UnitState.RESERVED, UnitState.RECEIVED}


def _visible_unit(
    session: Session, actor: Actor, din: str, product_code: str, division: str
) -> Unit:
    din = parse(din)
    product_code = (product_code or "").strip().upper()
    division = division or "00"
    trace = trace_din(session=session, actor=actor, din=din)
    if not any(u.product_code == product_code and u.division == division for u in trace.units):
        raise NotFound()
    unit = session.exec(
        select(Unit).where(
            Unit.din == din, Unit.product_code == product_code, Unit.division == division
        )
    ).first()
    if unit is None:
        raise NotFound()
    return unit


def _iso(moment) -> str:
    return moment.isoformat()


def product_resource(session: Session, unit: Unit) -> dict[str, Any]:
    product = session.get(ProductCode, unit.product_code)
    centre = session.get(Organisation, unit.centre_id)
    state = UnitState(unit.state)
    document: dict[str, Any] = {
        "resourceType": "BiologicallyDerivedProduct",
        "id": f"unit-{unit.id}",
        "productCategory": {"system": CATEGORY, "code": "fluid", "display": "Fluid"},
        "productCode": {
            "coding": [
                {
                    "system": ISBT128,
                    "code": unit.product_code,
                    "display": product.name_en if product else unit.product_code,
                }
            ],
            "text": product.name_en if product else unit.product_code,
        },
        "identifier": [
            {"system": ISBT128, "value": f"{unit.din}{unit.product_code}{unit.division}"}
        ],
        "biologicalSourceEvent": {"system": ISBT128, "value": unit.din},
        "division": unit.division,
        "productStatus": {
            "system": STATUS,
            "code": "available" if state in _AVAILABLE else "unavailable",
        },
        "expirationDate": _iso(unit.expires_at),
        "collection": {"collectedDateTime": _iso(unit.collected_at)},
        "processingFacility": [{"display": centre.name_en if centre else ""}],
        "property": [
            {
                "type": {"text": "Unit state"},
                "valueCodeableConcept": {"text": state.value},
            },
            {
                "type": {"text": "Volume"},
                "valueQuantity": {
                    "value": unit.volume_ml,
                    "unit": "mL",
                    "system": "http://unitsofmeasure.org",
                    "code": "mL",
                },
            },
        ],
    }
    if unit.abo and unit.rhd:
        document["property"].append(
            {
                "type": {"text": "ABO/RhD group"},
                "valueCodeableConcept": {"text": f"{unit.abo}{unit.rhd}"},
            }
        )
    return document


def unit_fhir(
    *, session: Session, actor: Actor, din: str, product_code: str, division: str = "00"
) -> dict[str, Any]:
    unit = _visible_unit(session, actor, din, product_code, division)
    return product_resource(session, unit)


def dispense_fhir(
    *, session: Session, actor: Actor, din: str, product_code: str, division: str = "00"
) -> dict[str, Any]:
    """The transfusion of a unit, for the hospital that gave it (and the chain above it)."""
    unit = _visible_unit(session, actor, din, product_code, division)
    transfusion = session.exec(select(Transfusion).where(Transfusion.unit_id == unit.id)).first()
    if transfusion is None:
        raise NotFound()
    trace = trace_din(session=session, actor=actor, din=unit.din)
    if not any(e.kind == "transfuse" and e.unit == unit.label for e in trace.timeline):
        raise NotFound()
    hospital = session.get(Organisation, transfusion.hospital_id)
    return {
        "resourceType": "BiologicallyDerivedProductDispense",
        "id": f"transfusion-{transfusion.id}",
        "status": "issued",
        "product": {
            "reference": f"BiologicallyDerivedProduct/unit-{unit.id}",
            "display": unit.label,
        },
        "patient": {"display": transfusion.patient_mask},
        "location": {"display": f"{hospital.name_en} / {transfusion.department}"},
        "destination": {"display": hospital.name_en},
        "quantity": {
            "value": transfusion.volume_given_ml,
            "unit": "mL",
            "system": "http://unitsofmeasure.org",
            "code": "mL",
        },
        "whenHandedOver": _iso(transfusion.started_at),
        "usageInstruction": f"Transfused {transfusion.started_at.date().isoformat()}",
    }
