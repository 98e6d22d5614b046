"""Shapes of the stock actions, shared by the web forms and the API."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.donors.schemas import ScreeningIn
from blood.inputs import ABO, DIVISION_CODE, RHD, InputSchema, code, din_text, measure
from blood.listing import ListQueryIn, sort_field
from blood.stock.lifecycle import LIVE
from blood.stock.models import (
    COMPONENTS,
    DISCARD_REASON_CODES,
    GROUPS,
    MEASURED_MARKERS,
    SERVICE_DISCARD_REASONS,
)
from blood.validation_messages import (
    at_most_chars,
    between,
    items,
    length,
    one_of,
    pattern,
)

COMPONENT = one_of(COMPONENTS)
PRODUCT = pattern(r"^[EFef]\d{4}$", _l("E or F and 4 digits, e.g. E0001."))
MANUAL_REASONS = [c for c in DISCARD_REASON_CODES if c not in SERVICE_DISCARD_REASONS]
GROUP_NAMES = [f"{abo}{rhd}" for abo, rhd in GROUPS]


class UnitListIn(ListQueryIn):
    """The unit list's query string: DIN search, state, component, group, expiry dates
    (``from``/``to``), sort, page."""

    state = fields.String(validate=one_of(sorted(s.value for s in LIVE)))
    component = fields.String(validate=COMPONENT)
    group = fields.String(validate=one_of(GROUP_NAMES))
    sort = sort_field(("din", "component", "group", "expires", "state"))


class BloodDonationIn(ScreeningIn):
    donor = fields.String(required=True, validate=at_most_chars(30))
    kind = fields.String(required=True, validate=one_of(["whole_blood", "platelets"]))
    # The plausible maximum is the deployment's (Settings.collection_max_ml): the service's;
    # this bound only keeps numbers the database cannot hold out.
    volume_ml = fields.Integer(required=True, validate=between(1, 5000))
    adverse_reaction = fields.String(validate=at_most_chars(40))
    # Required when a whole-blood volume is outside 200/300/400 mL (the service says so).
    deviation_reason = fields.String(validate=at_most_chars(500))


class ComponentIn(InputSchema):
    product_code = fields.String(required=True, validate=PRODUCT)
    volume_ml = fields.Integer(required=True, validate=between(1, 5000))
    division = fields.String(load_default="00", validate=DIVISION_CODE)
    expires_at = fields.AwareDateTime()


class ComponentsIn(InputSchema):
    # A donation makes a handful of components (a split platelet makes a few divisions).
    components = fields.List(fields.Nested(ComponentIn), required=True, validate=items(1, 12))


class OrderLineIn(InputSchema):
    component = fields.String(required=True, validate=COMPONENT)
    abo = fields.String(required=True, validate=ABO)
    rhd = fields.String(required=True, validate=RHD)
    quantity = fields.Integer(required=True, validate=between(1, 1000))


class OrderIn(InputSchema):
    centre = code("Blood centre code", required=True)
    urgency = fields.String(
        load_default="routine", validate=one_of(["routine", "urgent", "emergency"])
    )
    note = fields.String(validate=at_most_chars(500))
    lines = fields.List(fields.Nested(OrderLineIn), required=True, validate=items(1, 20))
    needed_by = fields.DateTime(
        metadata={
            "description": "Optional: when the hospital needs the units (ISO 8601; a time "
            "without an offset is the hospital's local time)."
        },
    )


class OrderListIn(ListQueryIn):
    """The order list's query string: number search, state, urgency, the other party's code
    (``organisation``), creation dates, sort, page."""

    state = fields.String(validate=one_of(["open", "partial", "fulfilled", "cancelled"]))
    urgency = fields.String(validate=one_of(["routine", "urgent", "emergency"]))
    organisation = code("The other party's organisation code")
    sort = sort_field(("number", "created", "needed", "urgency", "state"))


class DispatchListIn(ListQueryIn):
    """The dispatch list's query string: number search, state, kind, the other party's code
    (``organisation``), dispatch dates, sort, page."""

    state = fields.String(validate=one_of(["in_transit", "received"]))
    kind = fields.String(validate=one_of(["issue", "transfer"]))
    organisation = code("The other party's organisation code")
    sort = sort_field(("number", "dispatched", "received", "units", "state"))


class OrderFilterIn(OrderListIn):
    """``GET /api/v1/orders``: the order list page's search (``q``: order number), filters
    (``state``, ``urgency``, ``organisation``, ``from``/``to``: creation dates) and ``sort``;
    paged by ``page``/``page_size``."""

    class Meta(OrderListIn.Meta):
        exclude = ("page",)


class DispatchFilterIn(DispatchListIn):
    """``GET /api/v1/dispatches``: the dispatch list page's search (``q``: dispatch number),
    filters (``state``, ``kind``, ``organisation``, ``from``/``to``: dispatch dates) and
    ``sort``; paged by ``page``/``page_size``."""

    class Meta(DispatchListIn.Meta):
        exclude = ("page",)


class ReceiptLineIn(InputSchema):
    din = din_text(required=True)
    product_code = fields.String(required=True, validate=PRODUCT)
    division = fields.String(load_default="00", validate=DIVISION_CODE)
    temperature_ok = fields.Boolean(required=True)


class DispatchReceiptIn(InputSchema):
    dispatch = code("Dispatch number", required=True)
    units = fields.List(fields.Nested(ReceiptLineIn), required=True, validate=items(1, 500))
    scanned = fields.String(
        validate=at_most_chars(100_000),
        metadata={
            "description": "The dispatch note's scanned barcodes, one a line: each unit's DIN "
            "(=DIN+flag, DIN+check character or the DIN) and the dispatch number. When given, "
            "every unit of the dispatch is scanned."
        },
    )


class UnitRefIn(InputSchema):
    din = din_text(required=True)
    product_code = fields.String(required=True, validate=PRODUCT)
    division = fields.String(load_default="00", validate=DIVISION_CODE)


class UnitActionIn(UnitRefIn):
    action = fields.String(required=True, validate=one_of(["return", "discard", "restock"]))
    reason = fields.String(validate=one_of(MANUAL_REASONS))

    @ma.validates_schema
    def _reason_for_a_discard(self, data, **_kwargs):
        if data.get("action") == "discard" and not data.get("reason"):
            raise ma.ValidationError(str(_l("Choose a discard reason from the list.")), "reason")


class UnitRefsIn(InputSchema):
    units = fields.List(fields.Nested(UnitRefIn), required=True, validate=items(1, 500))


class LabResultsIn(InputSchema):
    """A laboratory's batch (API): each sample's group and/or markers."""

    # Each sample is checked by the laboratory's own schema (its markers are configuration).
    results = fields.List(
        fields.Dict(keys=fields.String(validate=length(1, 32)), validate=items(1, 20)),
        required=True,
        validate=items(1, 1000),
    )


class DeviationDecisionIn(InputSchema):
    decision = fields.String(required=True, validate=one_of(["accept", "reject"]))
    note = fields.String(required=True, validate=at_most_chars(500))


class GroupResolutionIn(InputSchema):
    abo = fields.String(required=True, validate=ABO)
    rhd = fields.String(required=True, validate=RHD)
    note = fields.String(required=True, validate=at_most_chars(500))


def lab_result_schema(markers: tuple[str, ...]) -> InputSchema:
    """The schema of one sample's results for this deployment's markers: the DIN, then
    the group and any markers (blank: not entered now). A measured marker (ALT) is a figure
    in U/L; the others are negative or reactive."""
    declared: dict = {
        "din": fields.String(required=True, validate=length(13, 20)),
        "abo": fields.String(validate=ABO),
        "rhd": fields.String(validate=RHD),
    }
    for marker in markers:
        declared[marker] = (
            measure(0, 5000)
            if marker in MEASURED_MARKERS
            else fields.String(validate=one_of(["negative", "reactive"]))
        )
    return InputSchema.from_dict(declared, name="LabResultIn")()


class TransferIn(InputSchema):
    to = code("Receiving hospital code", required=True)
    units = fields.List(fields.Nested(UnitRefIn), required=True, validate=items(1, 500))


class UnitOut(ma.Schema):
    din = fields.String()
    check_character = fields.String()
    product_code = fields.String()
    division = fields.String()
    component = fields.String()
    blood_group = fields.String(allow_none=True, metadata={"description": "None: not known yet"})
    volume_ml = fields.Integer()
    collected_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    state = fields.String()
    discard_reason = fields.String(allow_none=True)


class OrderLineOut(ma.Schema):
    component = fields.String()
    abo = fields.String()
    rhd = fields.String()
    quantity = fields.Integer()
    fulfilled = fields.Integer()


class OrderOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    hospital = fields.String()
    centre = fields.String()
    urgency = fields.String()
    status = fields.String()
    created_at = fields.AwareDateTime()
    needed_by = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(OrderLineOut))


class DispatchOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    source = fields.String(data_key="from")
    destination = fields.String(data_key="to")
    order = fields.String(allow_none=True)
    status = fields.String()
    dispatched_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime(allow_none=True)
    units = fields.List(fields.Nested(UnitOut))


class StockQuery(InputSchema):
    organisation = code("Code of one organisation in scope")


class StockLevelOut(ma.Schema):
    component = fields.String()
    group = fields.String()
    on_hand = fields.Integer()
    daily_usage = fields.Float()
    days_of_supply = fields.Float(allow_none=True)
    phase = fields.String()


class LabOutcomeOut(ma.Schema):
    din = fields.String()
    group_status = fields.String(allow_none=True)
    failed = fields.List(fields.String())
    discarded = fields.List(fields.Nested(UnitOut))
