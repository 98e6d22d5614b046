"""The hospital's clinical pages. Views parse with the action's schema, call one service
function and render; every rule lives in the services.

One blueprint (``clinical``, under ``/clinical``), defined here; each module adds the routes
of one part: ``records`` (the register, a patient's look-up, a record's page, its outcome and
the committee's review), ``forms`` (recording a transfusion, reporting a reaction, the
reactions), ``committee`` (the flags for review) and ``figures`` (the month).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from blood.clinical import messages
from blood.web import FIELD_LABELS

bp = Blueprint("clinical", __name__, url_prefix="/clinical")

# The fields of the clinical forms, as error summaries name them.
FIELD_LABELS.update(
    {
        "unit": _l("Unit"),
        "patient_record_number": _l("Patient record number"),
        "patient_sex": _l("Sex"),
        "patient_birth_year": _l("Birth year"),
        "patient_age_band": _l("Age band"),
        "patient_group": _l("Patient's ABO/RhD group"),
        "patient_abo": _l("Patient's ABO group"),
        "patient_rhd": _l("Patient's RhD type"),
        "department": _l("Department"),
        "ward": _l("Ward"),
        "indication": _l("Indication (ICD-10)"),
        "surgical": _l("Surgical or trauma patient"),
        "bleeding": _l("Active bleeding"),
        "pre_hb_g_l": _l("Pre-transfusion Hb (g/L)"),
        "pre_platelets_e9_l": _l("Pre-transfusion platelets (×10⁹/L)"),
        "pre_pt_ratio": _l("Pre-transfusion PT (× normal)"),
        "pre_inr": _l("Pre-transfusion INR"),
        "pre_aptt_ratio": _l("Pre-transfusion APTT (× normal)"),
        "pre_fibrinogen_g_l": _l("Pre-transfusion fibrinogen (g/L)"),
        "volume_given_ml": _l("Volume given (mL)"),
        "ordering_doctor": _l("Ordering doctor's staff id"),
        "approvals": _l("Approvals"),
        "approval_senior_doctor": _l("Senior doctor's staff id"),
        "approval_department_head": _l("Department head's staff id"),
        "approval_medical_department": _l("Medical department's staff id"),
        "emergency": _l("Emergency"),
        "emergency_reason": _l("Why it was an emergency"),
        "autologous": _l("Autologous"),
        "reference": _l("Your record id"),
        "measured_at": _l("Measured at"),
        "hb_g_l": _l("Haemoglobin (g/L)"),
        "platelets_e9_l": _l("Platelets (×10⁹/L)"),
        "pt_ratio": _l("PT (× normal)"),
        "inr": _l("INR"),
        "aptt_ratio": _l("APTT (× normal)"),
        "fibrinogen_g_l": _l("Fibrinogen (g/L)"),
        "body_surface_area_m2": _l("Body surface area (m²)"),
        "platelets_given_e11": _l("Platelets given (×10¹¹)"),
        "transfusions": _l("Transfusions"),
        "category": _l("Category"),
        "severity": _l("Severity"),
        "imputability": _l("Imputability"),
        "outcome": _l("Outcome"),
        "onset_at": _l("Onset"),
        "description": _l("What happened"),
        "comment": _l("Comment"),
        "date_from": _l("From"),
        "date_to": _l("To"),
        "component": _l("Component"),
        "flag": _l("Flag"),
        "month": _l("Month"),
    }
)
for _key, _label in {
    "din": _l("DIN"),
    "product_code": _l("Product code"),
    "division": _l("Division"),
    "started_at": _l("Start"),
    "ended_at": _l("End"),
}.items():
    FIELD_LABELS.setdefault(_key, _label)


def local(naive: datetime, zone: str) -> datetime:
    """A form's datetime-local value (no offset) in the hospital's time zone."""
    return naive.replace(tzinfo=ZoneInfo(zone))


# What every clinical page may use to say codes in words.
LABELS = {
    "components": messages.COMPONENT_LABELS,
    "sexes": messages.SEX_LABELS,
    "age_bands": messages.AGE_BAND_LABELS,
    "tiers": messages.TIER_LABELS,
    "categories": messages.CATEGORY_LABELS,
    "severities": messages.SEVERITY_LABELS,
    "imputabilities": messages.IMPUTABILITY_LABELS,
    "reaction_outcomes": messages.REACTION_OUTCOME_LABELS,
    "reviews": messages.REVIEW_LABELS,
    "bases": messages.BASIS_LABELS,
    "flag_labels": messages.FLAG_LABELS,
    "flag_text": messages.flag_text,
    "warning_text": messages.warning_text,
}

from blood.clinical.views import committee, figures, forms, records  # noqa: E402,F401
