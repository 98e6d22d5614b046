"""Every table, imported in one place for Alembic and the model/migration check."""

import blood.analytics.models  # noqa: F401  (the analytics tables)
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
from blood.supervision.models import (
    Alert,
    AlertEvent,
    Delivery,
    InboundSource,
    InboundSummary,
    IndicatorFact,
    JobRun,
    LastReport,
    PushTarget,
    Summary,
)
from blood.trace.models import CaseUnit, LookbackCase, Notice

__all__ = [
    "AdverseReaction",
    "Alert",
    "AlertEvent",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "BloodDonation",
    "BloodTestResult",
    "CaseUnit",
    "Collection",
    "Counter",
    "DailyUsage",
    "Deferral",
    "Delivery",
    "DesignatedArea",
    "Dispatch",
    "DispatchItem",
    "Donor",
    "IdempotencyRecord",
    "InboundSource",
    "InboundSummary",
    "IndicatorFact",
    "JobRun",
    "LabResult",
    "LastReport",
    "LoginFailure",
    "LoginSession",
    "LookbackCase",
    "LookbackTrigger",
    "Notice",
    "Order",
    "OrderLine",
    "Organisation",
    "ProductCode",
    "PushTarget",
    "ReactionTransfusion",
    "RefusedTransfusion",
    "Shipment",
    "ShipmentDiscrepancy",
    "ShipmentItem",
    "Summary",
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
