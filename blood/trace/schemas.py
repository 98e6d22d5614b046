"""Trace and look-back: input shapes (a manual case, an acknowledgement, the division of a
unit) and output shapes (a trace, a notice, a case)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from blood.inputs import InputSchema, din_text
from blood.trace.rules import DEFAULT_WINDOW_MONTHS
from blood.validation_messages import at_most_chars, items, length, one_of

MARKERS = ("hbsag", "anti_hcv", "anti_hiv", "syphilis", "nat")


class DivisionQuery(InputSchema):
    division = fields.String(
        load_default="00",
        validate=ma.validate.Regexp(r"^[0-9A-Za-z]{2}$"),
        metadata={"description": "The unit's division (two characters; default 00)"},
    )


class ManualCaseIn(InputSchema):
    din = din_text(required=True)
    markers = fields.List(
        fields.String(validate=one_of(MARKERS)), load_default=list, validate=items(0, len(MARKERS))
    )
    window_months = fields.Integer(
        load_default=DEFAULT_WINDOW_MONTHS, validate=ma.validate.Range(min=1, max=120)
    )
    note = fields.String(load_default=None, validate=at_most_chars(1000))


class CaseCloseIn(InputSchema):
    comment = fields.String(required=True, validate=[length(1, 1000), at_most_chars(1000)])


class AcknowledgeIn(InputSchema):
    note = fields.String(load_default=None, validate=at_most_chars(1000))


class EventOut(ma.Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    text = fields.String()
    unit = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    patient_mask = fields.String(allow_none=True)


class UnitTraceOut(ma.Schema):
    kind = fields.String()
    din = fields.String()
    product_code = fields.String(allow_none=True)
    division = fields.String(allow_none=True)
    product = fields.String()
    state = fields.String()
    holder = fields.String()
    events = fields.List(fields.Nested(EventOut))


class DonationTraceOut(ma.Schema):
    kind = fields.String()
    collected_at = fields.AwareDateTime()
    collector = fields.String()
    donor = fields.String(metadata={"description": "Masked"})
    tests = fields.List(fields.List(fields.String()))


class CaseBriefOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    status = fields.String()
    opened_at = fields.AwareDateTime()


class TraceOut(ma.Schema):
    din = fields.String()
    check_character = fields.String()
    donation = fields.Nested(DonationTraceOut, allow_none=True)
    units = fields.List(fields.Nested(UnitTraceOut))
    timeline = fields.List(fields.Nested(EventOut))
    cases = fields.List(fields.Nested(CaseBriefOut))


class NoticeOut(ma.Schema):
    id = fields.Function(lambda v: v.notice.id)
    case = fields.Function(lambda v: v.case_number)
    kind = fields.Function(lambda v: v.notice.kind)
    din = fields.Function(lambda v: v.notice.din)
    product_code = fields.Function(lambda v: v.notice.product_code)
    shipment_number = fields.Function(lambda v: v.notice.shipment_number)
    patient_mask = fields.Function(
        lambda v: v.notice.patient_mask,
        metadata={"description": "The hospital's pseudonym of the patient (never the number)"},
    )
    transfused_on = fields.Function(
        lambda v: v.notice.transfused_on.isoformat() if v.notice.transfused_on else None
    )
    department = fields.Function(lambda v: v.notice.department)
    created_at = fields.Function(lambda v: v.notice.created_at.isoformat())
    due_at = fields.Function(lambda v: v.notice.due_at.isoformat())
    state = fields.String(metadata={"description": "open, overdue or acknowledged"})
    acknowledged_at = fields.Function(
        lambda v: v.notice.acknowledged_at.isoformat() if v.notice.acknowledged_at else None
    )
    acknowledged_by = fields.Function(lambda v: v.notice.acknowledged_by)
