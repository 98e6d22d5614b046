"""Shapes of the stock actions, shared by the web forms and the API."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.plasma.schemas import ABO, RHD, FormSchema, ScreeningIn
from blood.stock.models import COMPONENTS
from blood.validation_messages import at_least, at_most_chars, between, one_of, pattern

COMPONENT = one_of(COMPONENTS)
PRODUCT = pattern(r"^[EFef]\d{4}$", _l("E or F and 4 digits, e.g. E0001."))


class BloodDonationIn(ScreeningIn):
    donor = fields.String(required=True, validate=at_most_chars(30))
    kind = fields.String(required=True, validate=one_of(["whole_blood", "platelets"]))
    volume_ml = fields.Integer(required=True, validate=between(1, 600))
    adverse_reaction = fields.String(validate=at_most_chars(40))


class ComponentIn(FormSchema):
    product_code = fields.String(required=True, validate=PRODUCT)
    volume_ml = fields.Integer(required=True, validate=at_least(1))
    division = fields.String(
        load_default="00", validate=pattern(r"^[A-Za-z0-9]{2}$", _l("2 characters, e.g. 00."))
    )
    expires_at = fields.AwareDateTime()


class ComponentsIn(FormSchema):
    components = fields.List(fields.Nested(ComponentIn), required=True)


class OrderLineIn(FormSchema):
    component = fields.String(required=True, validate=COMPONENT)
    abo = fields.String(required=True, validate=ABO)
    rhd = fields.String(required=True, validate=RHD)
    quantity = fields.Integer(required=True, validate=at_least(1))


class OrderIn(FormSchema):
    centre = fields.String(required=True, metadata={"description": "Blood centre code"})
    urgency = fields.String(
        load_default="routine", validate=one_of(["routine", "urgent", "emergency"])
    )
    note = fields.String(validate=at_most_chars(500))
    lines = fields.List(fields.Nested(OrderLineIn), required=True)


class ReceiptLineIn(FormSchema):
    din = fields.String(required=True)
    product_code = fields.String(required=True, validate=PRODUCT)
    division = fields.String(load_default="00")
    temperature_ok = fields.Boolean(required=True)


class DispatchReceiptIn(FormSchema):
    dispatch = fields.String(required=True, metadata={"description": "Dispatch number"})
    units = fields.List(fields.Nested(ReceiptLineIn), required=True)


class UnitRefIn(FormSchema):
    din = fields.String(required=True)
    product_code = fields.String(required=True, validate=PRODUCT)
    division = fields.String(load_default="00")


class UnitActionIn(UnitRefIn):
    action = fields.String(
        required=True, validate=one_of(["transfuse", "return", "discard", "restock"])
    )
    reason = fields.String()


class TransferIn(FormSchema):
    to = fields.String(required=True, metadata={"description": "Receiving hospital code"})
    units = fields.List(fields.Nested(UnitRefIn), required=True)


class UnitOut(ma.Schema):
    din = fields.String()
    check_character = fields.String()
    product_code = fields.String()
    division = fields.String()
    component = fields.String()
    blood_group = fields.String()
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


class StockQuery(ma.Schema):
    organisation = fields.String(metadata={"description": "Code of one organisation in scope"})


class StockLevelOut(ma.Schema):
    component = fields.String()
    group = fields.String()
    on_hand = fields.Integer()
    daily_usage = fields.Float()
    days_of_supply = fields.Float(allow_none=True)
    phase = fields.String()
