"""Every table, imported in one place for Alembic and the model/migration check."""

from blood.accounts.models import ApiToken, Organisation, User
from blood.audit import AuditEvent
from blood.donors.models import Deferral, DesignatedArea, Donor
from blood.plasma.models import (
    Collection,
    LabResult,
    LookbackTrigger,
    Shipment,
    ShipmentDiscrepancy,
    ShipmentItem,
    Visit,
)
from blood.sequences import Counter

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Collection",
    "Counter",
    "Deferral",
    "DesignatedArea",
    "Donor",
    "LabResult",
    "LookbackTrigger",
    "Organisation",
    "Shipment",
    "ShipmentDiscrepancy",
    "ShipmentItem",
    "User",
    "Visit",
]
