"""Every table, imported in one place for Alembic and the model/migration check."""

from blood.accounts.models import ApiToken, LoginFailure, LoginSession, Organisation, User
from blood.audit import AuditCheckpoint, AuditEvent
from blood.clinical.models import (
    AdverseReaction,
    ReactionTransfusion,
    RefusedTransfusion,
    Transfusion,
    TransfusionApproval,
    TransfusionFlag,
    TransfusionOutcome,
)
from blood.donors.models import Deferral, DesignatedArea, Donor, LookbackTrigger
from blood.idempotency import IdempotencyRecord
from blood.plasma.models import (
    Collection,
    LabResult,
    Shipment,
    ShipmentDiscrepancy,
    ShipmentItem,
    Visit,
)
from blood.sequences import Counter
from blood.stock.models import (
    BloodDonation,
    BloodTestResult,
    DailyUsage,
    Dispatch,
    DispatchItem,
    Order,
    OrderLine,
    ProductCode,
    TemperatureExcursion,
    Unit,
    UnitMovement,
)
from blood.supervision.models import Alert, AlertEvent, IndicatorFact, LastReport

__all__ = [
    "AdverseReaction",
    "Alert",
    "AlertEvent",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "BloodDonation",
    "BloodTestResult",
    "Collection",
    "Counter",
    "DailyUsage",
    "Deferral",
    "DesignatedArea",
    "Dispatch",
    "DispatchItem",
    "Donor",
    "IdempotencyRecord",
    "IndicatorFact",
    "LabResult",
    "LastReport",
    "LoginFailure",
    "LoginSession",
    "LookbackTrigger",
    "Order",
    "OrderLine",
    "Organisation",
    "ProductCode",
    "ReactionTransfusion",
    "RefusedTransfusion",
    "Shipment",
    "ShipmentDiscrepancy",
    "ShipmentItem",
    "TemperatureExcursion",
    "Transfusion",
    "TransfusionApproval",
    "TransfusionFlag",
    "TransfusionOutcome",
    "Unit",
    "UnitMovement",
    "User",
    "Visit",
]
