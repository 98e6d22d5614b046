"""Shapes of clinical use, shared by the web forms and the API: inputs (every field
bounded, unknown fields refused) and outputs (never a patient's record number or a staff id:
their masks)."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.clinical import rules
from blood.clinical.messages import BASIS_LABELS, flag_text
from blood.errors import ErrorOut
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


# --- outputs ---------------------------------------------------------------------------------


class Computed(fields.String):
    """A text worked out from the object (a flag's sentence): documented as a string."""

    def __init__(self, compute, **options):
        super().__init__(**options)
        self.compute = compute

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self.compute(obj)


class UnitSummaryOut(ma.Schema):
    din = fields.String()
    check_character = fields.String()
    product_code = fields.String()
    division = fields.String()
    component = fields.String()
    blood_group = fields.String(allow_none=True)


class ApprovalOut(ma.Schema):
    tier = fields.String()
    staff = fields.String(attribute="staff_mask", metadata={"description": "Masked staff id"})


class FlagOut(ma.Schema):
    code = fields.String(metadata={"description": "Stable code, e.g. approval_missing"})
    message = Computed(lambda f: flag_text(f.code, f.facts))
    facts = fields.Dict(keys=fields.String())
    report = fields.Boolean(metadata={"description": "Reported to the supervising authority"})
    raised_at = fields.AwareDateTime()


class OutcomeOut(ma.Schema):
    id = fields.Integer()
    transfusion = fields.Integer(attribute="transfusion_id")
    measured_at = fields.AwareDateTime()
    hb_g_l = fields.Float(allow_none=True)
    platelets_e9_l = fields.Float(allow_none=True)
    pt_ratio = fields.Float(allow_none=True)
    inr = fields.Float(allow_none=True)
    aptt_ratio = fields.Float(allow_none=True)
    fibrinogen_g_l = fields.Float(allow_none=True)
    body_surface_area_m2 = fields.Float(allow_none=True)
    platelets_given_e11 = fields.Float(allow_none=True)
    units = fields.Float(metadata={"description": "Red cells: units (U); others: bags judged"})
    increment = fields.Float(
        allow_none=True, metadata={"description": "Hb rise per unit (g/L), or platelet rise"}
    )
    cci = fields.Float(allow_none=True, metadata={"description": "Corrected count increment"})
    ineffective = fields.Boolean(allow_none=True, metadata={"description": "None: not judged"})
    basis = fields.String(allow_none=True, metadata={"description": "Why it was not judged"})
    note = Computed(lambda o: str(BASIS_LABELS.get(o.basis, "")))
    recorded_at = fields.AwareDateTime()


class PatientOut(ma.Schema):
    """The patient of a transfusion (dumped from the transfusion row)."""

    record_number = fields.String(
        attribute="patient_mask", metadata={"description": "Masked: never the number itself"}
    )
    sex = fields.String(attribute="patient_sex", allow_none=True)
    birth_year = fields.Integer(attribute="patient_birth_year", allow_none=True)
    age_band = fields.String(attribute="patient_age_band", allow_none=True)
    abo = fields.String(attribute="patient_abo", allow_none=True)
    rhd = fields.String(attribute="patient_rhd", allow_none=True)


class PreValuesOut(ma.Schema):
    hb_g_l = fields.Float(attribute="pre_hb_g_l", allow_none=True)
    platelets_e9_l = fields.Float(attribute="pre_platelets_e9_l", allow_none=True)
    pt_ratio = fields.Float(attribute="pre_pt_ratio", allow_none=True)
    inr = fields.Float(attribute="pre_inr", allow_none=True)
    aptt_ratio = fields.Float(attribute="pre_aptt_ratio", allow_none=True)
    fibrinogen_g_l = fields.Float(attribute="pre_fibrinogen_g_l", allow_none=True)


class ReviewOut(ma.Schema):
    status = fields.String(
        attribute="review_status",
        allow_none=True,
        metadata={"description": "open (waiting for the committee), reviewed, or none"},
    )
    comment = fields.String(attribute="review_comment", allow_none=True)
    reviewed_at = fields.AwareDateTime(allow_none=True)


class TransfusionOut(ma.Schema):
    """A transfusion (dumped from ``service.TransfusionDetail``)."""

    id = fields.Integer(attribute="transfusion.id")
    reference = fields.String(attribute="transfusion.reference", allow_none=True)
    hospital = fields.String(attribute="hospital.code")
    unit = fields.Nested(UnitSummaryOut)
    patient = fields.Nested(PatientOut, attribute="transfusion", dump_only=True)
    department = fields.String(attribute="transfusion.department")
    ward = fields.String(attribute="transfusion.ward", allow_none=True)
    indication = fields.String(attribute="transfusion.indication", allow_none=True)
    surgical = fields.Boolean(attribute="transfusion.surgical")
    bleeding = fields.Boolean(attribute="transfusion.bleeding")
    pre = fields.Nested(PreValuesOut, attribute="transfusion", dump_only=True)
    started_at = fields.AwareDateTime(attribute="transfusion.started_at")
    ended_at = fields.AwareDateTime(attribute="transfusion.ended_at")
    volume_given_ml = fields.Integer(attribute="transfusion.volume_given_ml")
    counted_ml = fields.Integer(
        attribute="transfusion.counted_ml",
        allow_none=True,
        metadata={"description": "Red cells: the whole-blood volume the unit counts for"},
    )
    ordering_doctor = fields.String(
        attribute="transfusion.ordering_doctor_mask",
        allow_none=True,
        metadata={"description": "Masked staff id"},
    )
    approvals = fields.List(fields.Nested(ApprovalOut))
    emergency = fields.Boolean(attribute="transfusion.emergency")
    emergency_reason = fields.String(attribute="transfusion.emergency_reason", allow_none=True)
    autologous = fields.Boolean(attribute="transfusion.autologous")
    window_total_ml = fields.Integer(
        attribute="transfusion.window_total_ml",
        allow_none=True,
        metadata={"description": "Red cells: the patient's whole-blood volume in the window"},
    )
    required_approval = fields.String(
        attribute="transfusion.required_approval",
        allow_none=True,
        metadata={"description": "The highest tier that volume required (None: the doctor)"},
    )
    flags = fields.List(fields.Nested(FlagOut))
    review = fields.Nested(ReviewOut, attribute="transfusion", dump_only=True)
    outcomes = fields.List(fields.Nested(OutcomeOut))
    reactions = fields.List(fields.Integer(), metadata={"description": "Linked reaction ids"})
    recorded_at = fields.AwareDateTime(
        attribute="transfusion.recorded_at", metadata={"description": "The server's record time"}
    )


class CursorPageOut(ma.Schema):
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "Keep it: send it as ?cursor= for the records after these"},
    )
    has_more = fields.Boolean(metadata={"description": "More records wait now: ask again"})


class TransfusionPageOut(CursorPageOut):
    items = fields.List(fields.Nested(TransfusionOut))


class BatchItemOut(ma.Schema):
    index = fields.Integer()
    status = fields.Integer(metadata={"description": "201 recorded, or the error's status"})
    transfusion = fields.Nested(TransfusionOut, allow_none=True)
    error = fields.Nested(ErrorOut, allow_none=True)


class BatchOut(ma.Schema):
    recorded = fields.Integer()
    refused = fields.Integer()
    results = fields.List(fields.Nested(BatchItemOut))


class WarningOut(ma.Schema):
    code = fields.String()
    message = fields.String()


class ReactionOut(ma.Schema):
    id = fields.Integer(attribute="reaction.id")
    reference = fields.String(attribute="reaction.reference", allow_none=True)
    hospital = fields.String(attribute="hospital.code")
    transfusions = fields.List(fields.Integer(), attribute="transfusion_ids")
    category = fields.String(attribute="reaction.category")
    severity = fields.Integer(attribute="reaction.severity")
    imputability = fields.String(attribute="reaction.imputability")
    outcome = fields.String(attribute="reaction.outcome")
    onset_at = fields.AwareDateTime(attribute="reaction.onset_at")
    description = fields.String(attribute="reaction.description", allow_none=True)
    warning = fields.Nested(
        WarningOut,
        allow_none=True,
        metadata={"description": "The onset is outside the category's usual window"},
    )
    alert_required = fields.Boolean(
        attribute="reaction.alert_required",
        metadata={"description": "Severity 3–4 or a transmitted infection: alerted at once"},
    )
    recorded_at = fields.AwareDateTime(
        attribute="reaction.recorded_at", metadata={"description": "The server's record time"}
    )


class ReactionPageOut(CursorPageOut):
    items = fields.List(fields.Nested(ReactionOut))


class MovementOut(ma.Schema):
    id = fields.Integer(attribute="movement.id")
    hospital = fields.String(attribute="hospital.code")
    unit = fields.Nested(UnitSummaryOut)
    reason = fields.String(attribute="movement.reason", allow_none=True)
    recorded_at = fields.AwareDateTime(
        attribute="movement.at", metadata={"description": "The server's record time"}
    )


class MovementPageOut(CursorPageOut):
    items = fields.List(fields.Nested(MovementOut))


class HeldUnitOut(UnitSummaryOut):
    volume_ml = fields.Integer()
    expires_at = fields.AwareDateTime()
    state = fields.String()
