"""A plasma station's operations: check-in, screening, collection (with its DIN), lab
results, quarantine release and shipments to manufacturers.

Every rule is enforced here, so the web forms, the API and the CLI cannot bypass it. The rooms:
``station`` (the acting station, its calendar), ``visits`` (check-in, screening, the decision),
``collection`` (collection and DIN, an over-limit collection kept as a deviation, finding a
unit, the station's donations as eligibility history), ``lab`` (results, destruction,
look-back), ``deviations`` (the quality manager's decision on a deviation), ``quarantine``
(the release rule),
``inventory``, ``shipments`` (building and listing them), ``receipts`` (the manufacturer's
receipt) and ``reports`` (a shipment's page and its API shape).

Every public name is re-exported here: ``from blood.plasma import service as plasma`` and
``plasma.check_in(...)``. Importing this package adds the station's donations to the donor
registry's history sources (``blood.donors.service.HISTORY_SOURCES``).
"""

from __future__ import annotations

from blood.plasma.service.collection import (
    ADVERSE_REACTIONS,
    CollectionInput,
    DinNotConfigured,
    DonorRecord,
    UnitLabel,
    UnitNotHere,
    donor_record,
    donor_units,
    find_unit,
    plasma_donations,
    record_collection,
    scan_unit,
    unit_label,
)
from blood.plasma.service.deviations import (
    DECISIONS,
    DEVIATION_LABELS,
    DeviationRow,
    DeviationsOverview,
    decide_deviation,
    describe_deviation,
    deviations_overview,
    get_deviation,
)
from blood.plasma.service.inventory import (
    InventoryOverview,
    InventoryRow,
    inventory,
    inventory_overview,
)
from blood.plasma.service.lab import LabInput, destroy_unit, record_lab_results
from blood.plasma.service.quarantine import (
    BLOCKER_MESSAGES,
    UNIT_STATE_LABELS,
    Blocker,
    describe_blocker,
    quarantine_overview,
    quarantine_page,
    releasable_clause,
    release_blockers,
    release_units,
    unit_state_label,
)
from blood.plasma.service.receipts import (
    DiscrepancyInput,
    check_receipt,
    confirm_receipt,
    receipt_refusal,
)
from blood.plasma.service.reports import (
    ShipmentDetails,
    ShipmentReport,
    ShippedUnit,
    shipment_details,
    shipment_report,
    shipment_reports,
)
from blood.plasma.service.shipments import (
    SHIPMENT_SORTS,
    ShipmentChoices,
    ShipmentListQuery,
    ShipmentRow,
    build_shipment,
    discrepancies_of,
    get_shipment,
    list_shipments,
    manufacturers,
    released_units,
    shipment_choices,
    shipment_counterparts,
    shipment_items,
    shipment_list,
)
from blood.plasma.service.station import local_date_of, quarantine_days, require_station
from blood.plasma.service.visits import (
    NotRegistered,
    VisitOverview,
    check_in,
    decision_of,
    donor_visits,
    get_visit,
    reasons_to_json,
    record_screening,
    screening_of,
    visit_overview,
    visit_unit,
    visits_today,
)

__all__ = [
    "ADVERSE_REACTIONS",
    "BLOCKER_MESSAGES",
    "DECISIONS",
    "DEVIATION_LABELS",
    "SHIPMENT_SORTS",
    "UNIT_STATE_LABELS",
    "Blocker",
    "CollectionInput",
    "DeviationRow",
    "DeviationsOverview",
    "DinNotConfigured",
    "DiscrepancyInput",
    "DonorRecord",
    "InventoryOverview",
    "InventoryRow",
    "LabInput",
    "NotRegistered",
    "ShipmentChoices",
    "ShipmentDetails",
    "ShipmentListQuery",
    "ShipmentReport",
    "ShipmentRow",
    "ShippedUnit",
    "UnitLabel",
    "UnitNotHere",
    "VisitOverview",
    "build_shipment",
    "check_in",
    "check_receipt",
    "confirm_receipt",
    "decide_deviation",
    "decision_of",
    "describe_blocker",
    "describe_deviation",
    "destroy_unit",
    "deviations_overview",
    "discrepancies_of",
    "donor_record",
    "donor_units",
    "donor_visits",
    "find_unit",
    "get_deviation",
    "get_shipment",
    "get_visit",
    "inventory",
    "inventory_overview",
    "list_shipments",
    "local_date_of",
    "manufacturers",
    "plasma_donations",
    "quarantine_days",
    "quarantine_overview",
    "quarantine_page",
    "reasons_to_json",
    "receipt_refusal",
    "record_collection",
    "record_lab_results",
    "record_screening",
    "releasable_clause",
    "release_blockers",
    "release_units",
    "released_units",
    "require_station",
    "scan_unit",
    "screening_of",
    "shipment_choices",
    "shipment_counterparts",
    "shipment_details",
    "shipment_items",
    "shipment_list",
    "shipment_report",
    "shipment_reports",
    "unit_label",
    "unit_state_label",
    "visit_overview",
    "visit_unit",
    "visits_today",
]
