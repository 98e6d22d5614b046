"""Clinical use: the output shapes (never a patient's record number or a staff id: their
masks)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from blood.clinical.messages import BASIS_LABELS, flag_text
from blood.errors import ErrorOut


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
