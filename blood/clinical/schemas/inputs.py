"""Clinical use: the input shapes, shared by the web forms and the API (every field bounded,
unknown fields refused)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.clinical import rules
from blood.inputs import ABO, DIVISION_CODE, INT_MAX, RHD, InputSchema, code, din_text, measure
from blood.stock.lifecycle import UnitState
from blood.stock.models import DISCARD_REASON_CODES, SERVICE_DISCARD_REASONS
from blood.validation_messages import at_most_chars, between, items, length, one_of, pattern

PRODUCT = pattern(r"^[EFef]\d{4}$", _l("E or F and 4 digits, e.g. E0001."))
# ICD-10: a letter, two digits, then optionally a dot and up to 7 characters (the national
# clinical version's extensions, e.g. D62.x00); the shape is checked, not the code list.
ICD10 = pattern(
    r"^[A-Za-z][0-9]{2}(\.[0-9A-Za-z]{1,7})?$", _l("An ICD-10 code, e.g. D62 or D62.x00.")
)
DISCARD_REASONS = [c for c in DISCARD_REASON_CODES if c not in SERVICE_DISCARD_REASONS]
STAFF_ID = length(1, 32)


def _text(high: int, description: str | None = None, **options) -> fields.String:
    metadata = {"description": description} if description else {}
    return fields.String(validate=length(1, high), metadata=metadata, **options)


class ScannedUnitIn(InputSchema):
    din = din_text(required=True)
    product_code = fields.String(required=True, validate=PRODUCT)
    division = fields.String(load_default="00", validate=DIVISION_CODE)


class ApprovalIn(InputSchema):
    tier = fields.String(
        required=True,
        validate=one_of(rules.APPROVAL_TIERS),
        metadata={"description": "The tier the approver signed as"},
    )
    staff_id = fields.String(
        required=True,
        validate=STAFF_ID,
        metadata={"description": "The approver's staff id (stored only as a keyed hash)"},
    )


class TransfusionIn(ScannedUnitIn):
    """One unit given to one patient."""

    reference = _text(64, "Your own record id (optional; unique at your hospital)")
    patient_record_number = fields.String(
        required=True,
        validate=length(1, 32),
        metadata={
            "description": "The patient's record number at your hospital: stored only as a "
            "keyed hash (per hospital) and a mask; send it again to find the patient's history"
        },
    )
    patient_sex = fields.String(validate=one_of(rules.SEXES))
    patient_birth_year = fields.Integer(validate=between(1900, 2100))
    patient_age_band = fields.String(
        validate=one_of(rules.AGE_BANDS),
        metadata={"description": "Give the age band or the birth year (at least one)"},
    )
    patient_abo = fields.String(validate=ABO, metadata={"description": "Leave out if not known"})
    patient_rhd = fields.String(validate=RHD, metadata={"description": "Leave out if not known"})
    department = _text(60, "The department the patient is treated in", required=True)
    ward = _text(60)
    indication = fields.String(
        validate=ICD10, metadata={"description": "ICD-10 code of the indication"}
    )
    surgical = fields.Boolean(
        load_default=False, metadata={"description": "A surgical or trauma patient"}
    )
    bleeding = fields.Boolean(load_default=False, metadata={"description": "Active bleeding"})
    pre_hb_g_l = measure(0, 250)
    pre_platelets_e9_l = measure(0, 2000)
    pre_pt_ratio = measure(0, 20)
    pre_inr = measure(0, 20)
    pre_aptt_ratio = measure(0, 20)
    pre_fibrinogen_g_l = measure(0, 20)
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    volume_given_ml = fields.Integer(required=True, validate=between(1, 1000))
    ordering_doctor = fields.String(
        validate=STAFF_ID,
        metadata={"description": "The ordering doctor's staff id (stored only as a keyed hash)"},
    )
    approvals = fields.List(fields.Nested(ApprovalIn), load_default=list, validate=items(0, 6))
    emergency = fields.Boolean(load_default=False)
    emergency_reason = _text(500, "Required with emergency")
    autologous = fields.Boolean(load_default=False)

    @ma.validates_schema
    def _complete(self, data, **_kwargs):
        problems = {}
        if data.get("emergency") and not data.get("emergency_reason"):
            problems["emergency_reason"] = [str(_l("Say why it was an emergency."))]
        if data.get("patient_age_band") is None and data.get("patient_birth_year") is None:
            problems["patient_age_band"] = [str(_l("Give the age band or the birth year."))]
        if problems:
            raise ma.ValidationError(problems)

    @ma.post_load
    def _normalise(self, data, **_kwargs):
        if data.get("indication"):
            data["indication"] = data["indication"].upper()
        return data


class TransfusionFormIn(TransfusionIn):
    """The web form's datetime-local fields carry no offset: the hospital's zone applies."""

    started_at = fields.NaiveDateTime(required=True)
    ended_at = fields.NaiveDateTime(required=True)


class TransfusionBatchIn(InputSchema):
    # Each item is checked on its own (an invalid one fails alone): see the operation.
    items = fields.List(
        fields.Dict(keys=fields.String(validate=length(1, 40)), validate=items(1, 40)),
        required=True,
        validate=items(1, 1000),
        metadata={"description": "Up to 1,000 transfusions, each as POST /transfusions takes it"},
    )


class OutcomeIn(InputSchema):
    measured_at = fields.AwareDateTime(required=True)
    hb_g_l = measure(0, 250)
    platelets_e9_l = measure(0, 2000)
    pt_ratio = measure(0, 20)
    inr = measure(0, 20)
    aptt_ratio = measure(0, 20)
    fibrinogen_g_l = measure(0, 20)
    body_surface_area_m2 = fields.Float(
        validate=between(0.1, 4),
        allow_nan=False,
        metadata={"description": "For the platelets' corrected count increment"},
    )
    platelets_given_e11 = fields.Float(
        validate=between(0.1, 20),
        allow_nan=False,
        metadata={"description": "Platelets given ×10¹¹ (default: 2.5 per apheresis unit)"},
    )


class OutcomeFormIn(OutcomeIn):
    measured_at = fields.NaiveDateTime(required=True)


class ReactionIn(InputSchema):
    reference = _text(64, "Your own report id (optional; unique at your hospital)")
    transfusions = fields.List(
        fields.Integer(validate=between(1, INT_MAX)),
        load_default=list,
        validate=items(0, 20),
        metadata={"description": "Ids of the transfusions (as POST /transfusions answered)"},
    )
    units = fields.List(
        fields.Nested(ScannedUnitIn),
        load_default=list,
        validate=items(0, 20),
        metadata={"description": "…or the units given, as scanned"},
    )
    category = fields.String(required=True, validate=one_of(rules.REACTION_CATEGORIES))
    severity = fields.Integer(
        required=True,
        validate=one_of(rules.SEVERITIES),
        metadata={"description": "1 non-severe, 2 severe, 3 life-threatening, 4 death"},
    )
    imputability = fields.String(required=True, validate=one_of(rules.IMPUTABILITY))
    outcome = fields.String(required=True, validate=one_of(rules.REACTION_OUTCOMES))
    onset_at = fields.AwareDateTime(required=True)
    description = fields.String(validate=at_most_chars(2000))


class ReactionFormIn(ReactionIn):
    onset_at = fields.NaiveDateTime(required=True)


class ReturnItemIn(ScannedUnitIn):
    reason = fields.String(required=True, validate=one_of(rules.RETURN_REASONS))


class DiscardItemIn(ScannedUnitIn):
    reason = fields.String(required=True, validate=one_of(DISCARD_REASONS))


class ReturnsIn(InputSchema):
    units = fields.List(fields.Nested(ReturnItemIn), required=True, validate=items(1, 500))


class DiscardsIn(InputSchema):
    units = fields.List(fields.Nested(DiscardItemIn), required=True, validate=items(1, 500))


class ListQuery(InputSchema):
    since = fields.AwareDateTime(
        metadata={"description": "Only records the server recorded at or after this time"}
    )
    cursor = fields.String(
        validate=length(1, 200),
        metadata={"description": "The next_cursor of the previous page (opaque)"},
    )
    limit = fields.Integer(load_default=100, validate=between(1, 500))
    hospital = code("An authority: one hospital of its jurisdiction")


class PatientSearchIn(InputSchema):
    patient_record_number = fields.String(required=True, validate=length(1, 32))
    cursor = fields.String(validate=length(1, 200))
    limit = fields.Integer(load_default=100, validate=between(1, 500))


class UnitsQuery(InputSchema):
    state = fields.String(validate=one_of([s.value for s in UnitState]))
    component = fields.String(validate=one_of(rules.COMPONENTS))
    expires_before = fields.AwareDateTime()


class ReviewIn(InputSchema):
    comment = fields.String(validate=at_most_chars(1000))


class RegisterQuery(InputSchema):
    """The register page's filters (the query string)."""

    department = fields.String(validate=length(1, 60))
    date_from = fields.Date()
    date_to = fields.Date()
    component = fields.String(validate=one_of(rules.COMPONENTS))
    flag = fields.String(validate=one_of(rules.FLAG_CODES))
    page = fields.Integer(validate=between(1, 100_000))


class MonthQuery(InputSchema):
    month = fields.String(validate=pattern(r"^\d{4}-(0[1-9]|1[0-2])$", _l("A month: YYYY-MM.")))
