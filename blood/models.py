"""Every table, imported in one place for Alembic and the model/migration check."""

from blood.accounts.models import ApiToken, Organisation, User
from blood.audit import AuditEvent
from blood.donors.models import Deferral, DesignatedArea, Donor
from blood.idempotency import IdempotencyRecord
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
from blood.stock.models import (
    BloodDonation,
    Dispatch,
    DispatchItem,
    Order,
    OrderLine,
    ProductCode,
    Unit,
    UnitMovement,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "BloodDonation",
    "Collection",
    "Counter",
    "Deferral",
    "DesignatedArea",
    "Dispatch",
    "DispatchItem",
    "Donor",
    "IdempotencyRecord",
    "LabResult",
    "LookbackTrigger",
    "Order",
    "OrderLine",
    "Organisation",
    "ProductCode",
    "Shipment",
    "ShipmentDiscrepancy",
    "ShipmentItem",
    "Unit",
    "UnitMovement",
    "User",
    "Visit",
]
