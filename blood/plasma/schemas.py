"""Input and output shapes of the plasma-station actions, shared by the web forms and the API.

Donor registration, screening and eligibility shapes are the donors package's
(``blood.donors.schemas``).
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from blood.donors.rules import DONATION_REACTIONS
from blood.inputs import InputSchema, code, measure
from blood.listing import ListQueryIn, sort_field
from blood.plasma.models import TEST_VALUES
from blood.validation_messages import (
    at_least,
    at_most,
    at_most_chars,
    between,
    items,
    length,
    one_of,
)

_DIN_TEXT = {
    "description": "DIN as scanned or typed (13 characters, with or without its check)",
    "minLength": 1,
    "pattern": r"\S",
}


class CheckInIn(InputSchema):
    resident_id = fields.String(required=True, validate=at_most_chars(30))


class CollectionIn(InputSchema):
    machine = fields.String(required=True, validate=length(1, 50))
    kit_lot = fields.String(required=True, validate=length(1, 50))
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    # Physical bounds only: the plausibility limit and the donor's limit are the service's.
    total_weight_g = fields.Float(
        required=True, validate=[at_least(0, inclusive=False), at_most(5000)], allow_nan=False
    )
    anticoagulant_ml = fields.Float(
        required=True, validate=[at_least(0), at_most(1000)], allow_nan=False
    )
    adverse_reaction = fields.String(validate=one_of(DONATION_REACTIONS))
    over_limit_reason = fields.String(
        validate=at_most_chars(500),
        metadata={"description": "Why the collection went over the donor's limit (required then)"},
    )


class CollectionFormIn(CollectionIn):
    """The web form's datetime-local fields carry no offset: the station's zone applies."""

    started_at = fields.NaiveDateTime(required=True)
    ended_at = fields.NaiveDateTime(required=True)


_MARKER = one_of(TEST_VALUES)


class LabResultIn(InputSchema):
    din = fields.String(required=True, validate=length(13, 20))
    total_protein_g_l = measure(0, 150)
    alt_u_l = measure(0, 5000)
    hbsag = fields.String(required=True, validate=_MARKER)
    anti_hcv = fields.String(required=True, validate=_MARKER)
    anti_hiv = fields.String(required=True, validate=_MARKER)
    syphilis = fields.String(required=True, validate=_MARKER)


class DeviationDecisionIn(InputSchema):
    """The quality manager's decision on a deviation: accept or reject, and why."""

    decision = fields.String(required=True, validate=one_of(["accept", "reject"]))
    note = fields.String(required=True, validate=length(1, 500))


GROUP_NAMES = [f"{abo}{rhd}" for abo in ("O", "A", "B", "AB") for rhd in ("+", "-")]


class VisitListIn(ListQueryIn):
    """The visit list's query string: donor card number or name, state, visit dates, sort."""

    state = fields.String(validate=one_of(["checked_in", "eligible", "ineligible", "collected"]))
    sort = sort_field(("date", "state", "card", "name"))


class PlasmaUnitListIn(ListQueryIn):
    """The plasma unit list's query string: DIN, card number or name; state, group,
    collection dates, sort."""

    state = fields.String(
        validate=one_of(["quarantine", "released", "shipped", "destroyed", "blocked"])
    )
    group = fields.String(validate=one_of(GROUP_NAMES))
    sort = sort_field(("din", "collected", "weight", "group", "state"))


class ShipmentListIn(ListQueryIn):
    """The shipment list's query string: number search, state, the other party's code
    (``organisation``), shipping dates, sort, page."""

    state = fields.String(validate=one_of(["shipped", "received"]))
    organisation = code("The other party's organisation code")
    sort = sort_field(("number", "shipped", "units", "weight", "state"))


class ShipmentIn(InputSchema):
    manufacturer_code = code("Manufacturer code", required=True)
    # A lorry of plasma: a few thousand units at most.
    dins = fields.List(
        fields.String(validate=length(1, 24), metadata=_DIN_TEXT),
        required=True,
        validate=items(0, 5000),  # none ticked: the service says what to do
    )
    box_size = fields.Integer(load_default=24, validate=between(1, 200))


class DiscrepancyIn(InputSchema):
    kind = fields.String(required=True, validate=one_of(["missing", "damaged", "extra"]))
    din = fields.String(required=True, validate=length(1, 24), metadata=_DIN_TEXT)
    note = fields.String(validate=at_most_chars(500))


class ReceiptIn(InputSchema):
    received_by = fields.String(validate=at_most_chars(100))
    note = fields.String(validate=at_most_chars(500))
    discrepancies = fields.List(
        fields.Nested(DiscrepancyIn), load_default=list, validate=items(0, 5000)
    )
    scanned = fields.String(
        validate=at_most_chars(100_000),
        metadata={
            "description": "The packing list's scanned barcodes, one a line: each unit's DIN "
            "(=DIN+flag, DIN+check character or the DIN) and the shipment number. When given, "
            "every unit on the list is scanned or declared missing or damaged."
        },
    )


# --- API-only shapes -------------------------------------------------------------------------


class ShipmentItemOut(ma.Schema):
    """Dumps ``blood.plasma.service.ShippedUnit``."""

    din = fields.String()
    check_character = fields.String()
    box = fields.String()
    weight_g = fields.Float()
    blood_group = fields.String()
    receipt_status = fields.String(allow_none=True)


class ShipmentOut(ma.Schema):
    """Dumps ``blood.plasma.service.ShipmentReport``."""

    id = fields.Integer()
    number = fields.String()
    station = fields.String()
    manufacturer = fields.String()
    status = fields.String()
    shipped_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime(allow_none=True)
    items = fields.List(fields.Nested(ShipmentItemOut))
    discrepancies = fields.List(fields.Nested(DiscrepancyIn))
