"""Input and output shapes of the plasma-station actions, shared by the web forms and the API.

Web forms post strings: ``FormSchema`` turns blank fields into "not given" before loading, so
the same schema (and its messages) serves both.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.donors.rules import QUESTIONNAIRE, RAPID_TESTS
from blood.plasma.service import ADVERSE_REACTIONS, TEST_VALUES
from blood.validation_messages import at_least, at_most_chars, between, length, one_of, pattern


class FormSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _blank_is_missing(self, data, **_kwargs):
        if not hasattr(data, "items"):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            cleaned[key] = value
        return cleaned


ABO = one_of(["A", "B", "O", "AB"])
RHD = one_of(["+", "-"])
DIVISION = pattern(r"^\d{6}$", _l("A division code is 6 digits (GB/T 2260)."))


class DonorRegistrationIn(FormSchema):
    resident_id = fields.String(required=True, validate=at_most_chars(30))
    name = fields.String(required=True, validate=length(1, 100))
    sex = fields.String(validate=one_of(["M", "F"]))
    birth_date = fields.Date()
    household_region = fields.String(validate=DIVISION)
    phone = fields.String(validate=at_most_chars(20))
    address = fields.String(validate=at_most_chars(200))
    abo = fields.String(validate=ABO)
    rhd = fields.String(validate=RHD)


class CheckInIn(FormSchema):
    resident_id = fields.String(required=True, validate=at_most_chars(30))


def _measure(low: float, high: float) -> fields.Float:
    return fields.Float(validate=between(low, high), allow_nan=False)


class ScreeningIn(FormSchema):
    """Plausible ranges only: a value outside them is a typing error, not a finding."""

    weight_kg = _measure(20, 250)
    systolic = fields.Integer(validate=between(40, 300))
    diastolic = fields.Integer(validate=between(20, 200))
    pulse = fields.Integer(validate=between(20, 250))
    temperature_c = _measure(30, 45)
    total_protein_g_l = _measure(10, 150)
    alt_u_l = _measure(0, 2000)
    hb_g_l = _measure(20, 250)
    rapid_tests = fields.Dict(
        keys=fields.String(validate=one_of(RAPID_TESTS)), values=fields.Boolean()
    )
    questionnaire = fields.Dict(
        keys=fields.String(validate=one_of(QUESTIONNAIRE)), values=fields.Boolean()
    )


class CollectionIn(FormSchema):
    machine = fields.String(required=True, validate=length(1, 50))
    kit_lot = fields.String(required=True, validate=length(1, 50))
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    total_weight_g = fields.Float(
        required=True, validate=at_least(0, inclusive=False), allow_nan=False
    )
    anticoagulant_ml = fields.Float(required=True, validate=at_least(0), allow_nan=False)
    adverse_reaction = fields.String(validate=one_of(ADVERSE_REACTIONS))


class CollectionFormIn(CollectionIn):
    """The web form's datetime-local fields carry no offset: the station's zone applies."""

    started_at = fields.NaiveDateTime(required=True)
    ended_at = fields.NaiveDateTime(required=True)


_MARKER = one_of(TEST_VALUES)


class LabResultIn(FormSchema):
    din = fields.String(required=True, validate=length(13, 20))
    total_protein_g_l = _measure(0, 150)
    alt_u_l = _measure(0, 5000)
    hbsag = fields.String(required=True, validate=_MARKER)
    anti_hcv = fields.String(required=True, validate=_MARKER)
    anti_hiv = fields.String(required=True, validate=_MARKER)
    syphilis = fields.String(required=True, validate=_MARKER)


class DeferralIn(FormSchema):
    permanent = fields.Boolean(load_default=False)
    reason_code = fields.String(required=True)
    ends_on = fields.Date()
    note = fields.String(validate=at_most_chars(500))


class LiftDeferralIn(FormSchema):
    reason = fields.String(required=True, validate=length(1, 500))


class ShipmentIn(FormSchema):
    manufacturer_code = fields.String(required=True)
    dins = fields.List(fields.String(), required=True)
    box_size = fields.Integer(load_default=24, validate=between(1, 200))


class DiscrepancyIn(FormSchema):
    kind = fields.String(required=True, validate=one_of(["missing", "damaged", "extra"]))
    din = fields.String(required=True)
    note = fields.String(validate=at_most_chars(500))


class ReceiptIn(FormSchema):
    received_by = fields.String(validate=at_most_chars(100))
    note = fields.String(validate=at_most_chars(500))
    discrepancies = fields.List(fields.Nested(DiscrepancyIn), load_default=list)


# --- API-only shapes -------------------------------------------------------------------------


class EligibilityIn(ScreeningIn):
    """Either a registered donor (card number or resident ID) or a new person's resident ID."""

    donor = fields.String(
        required=True,
        metadata={"description": "Card number or resident ID number of the donor"},
    )
    on = fields.Date(metadata={"description": "Day to decide for; default: today at the station"})


class ReasonOut(ma.Schema):
    code = fields.String(required=True)
    facts = fields.Dict(required=True)
    message = fields.String(required=True)


class CollectionLimitOut(ma.Schema):
    amount = fields.Float()
    unit = fields.String()
    includes_anticoagulant = fields.Boolean()


class DecisionOut(ma.Schema):
    eligible = fields.Boolean(required=True)
    reasons = fields.List(fields.Nested(ReasonOut), required=True)
    next_eligible_on = fields.Date(allow_none=True)
    collection_limit = fields.Nested(CollectionLimitOut, allow_none=True)
    profile = fields.String(required=True)
    registered = fields.Boolean(required=True)


class ShipmentItemOut(ma.Schema):
    din = fields.String()
    check_character = fields.String()
    box = fields.String()
    weight_g = fields.Float()
    blood_group = fields.String()
    receipt_status = fields.String(allow_none=True)


class ShipmentOut(ma.Schema):
    id = fields.Integer()
    number = fields.String()
    station = fields.String()
    manufacturer = fields.String()
    status = fields.String()
    shipped_at = fields.AwareDateTime()
    received_at = fields.AwareDateTime(allow_none=True)
    items = fields.List(fields.Nested(ShipmentItemOut))
    discrepancies = fields.List(fields.Nested(DiscrepancyIn))
