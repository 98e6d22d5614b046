"""Translated sentences for the eligibility engine's reason codes (the engine itself is pure)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from blood.donors.rules import Reason

REASON_MESSAGES: dict[str, Any] = {
    "too_young": _l("Younger than %(minimum)s years (age %(actual)s)."),
    "too_old": _l("Older than %(maximum)s years (age %(actual)s)."),
    "weight_too_low": _l("Weight %(actual)s kg is below the minimum of %(minimum)s kg."),
    "systolic_out_of_range": _l("Systolic pressure %(actual)s mmHg is outside the allowed range."),
    "diastolic_out_of_range": _l(
        "Diastolic pressure %(actual)s mmHg is outside the allowed range."
    ),
    "pulse_pressure_too_low": _l(
        "Pulse pressure %(actual)s mmHg is below the minimum of %(minimum)s mmHg."
    ),
    "pulse_out_of_range": _l("Pulse %(actual)s/min is outside the allowed range."),
    "temperature_too_high": _l("Temperature %(actual)s °C is above %(maximum)s °C."),
    "protein_too_low": _l("Total protein %(actual)s g/L is below %(minimum)s g/L."),
    "alt_too_high": _l("ALT %(actual)s U/L is above %(maximum)s U/L."),
    "hb_too_low": _l("Haemoglobin %(actual)s g/L is below %(minimum)s g/L."),
    "measurement_missing": _l("Not measured: %(measurement)s."),
    "rapid_test_reactive": _l("Rapid test %(test)s is reactive."),
    "questionnaire": _l("Health questionnaire: the answer to “%(question)s” defers donation."),
    "deferred_permanently": _l("Permanently deferred."),
    "deferred_until": _l("Deferred until %(ends_on)s."),
    "interval": _l(
        "Too soon after the %(previous_kind)s donation of %(previous)s: "
        "the earliest date is %(earliest)s."
    ),
    "too_many_in_year": _l(
        "Already %(count)s donations in the last 12 months (maximum %(maximum)s)."
    ),
    "too_many_in_week": _l("Already %(count)s donations in the last 7 days (maximum %(maximum)s)."),
    "collection_over_limit": _l(
        "Collection of %(actual)s %(unit)s is over the limit of %(limit)s %(unit)s."
    ),
    "registered_elsewhere": _l(
        "Registered at %(station)s: donors may donate only at the station of their area."
    ),
}

# A kind of donation inside a sentence ("the whole-blood donation of 20 Nov 2026").
DONATION_KIND_WORDS: dict[str, Any] = {
    "plasma": _l("plasma"),
    "whole_blood": _l("whole-blood"),
    "platelets": _l("platelet"),
}

# A kind of donation on its own (a table's cell).
DONATION_KIND_LABELS: dict[str, Any] = {
    "plasma": _l("Plasma (apheresis)"),
    "whole_blood": _l("Whole blood"),
    "platelets": _l("Platelets (apheresis)"),
}

DONATION_REACTIONS: dict[str, Any] = {
    "vasovagal": _l("Vasovagal reaction (fainting, dizziness)"),
    "citrate": _l("Citrate reaction (tingling, cramps)"),
    "haematoma": _l("Haematoma at the needle site"),
    "nerve_injury": _l("Nerve irritation or injury"),
    "other": _l("Other"),
}

QUESTION_LABELS: dict[str, Any] = {
    "feels_well": _l("Do you feel well today?"),
    "recent_illness": _l("Have you been ill, or had a fever, in the last two weeks?"),
    "new_medication": _l("Have you taken any medicine in the last week?"),
    "tattoo_or_piercing_12m": _l("A tattoo, piercing or acupuncture in the last 12 months?"),
    "pregnant_or_recent_birth": _l("Pregnant, or given birth in the last 12 months?"),
    "high_risk_behaviour": _l("Any behaviour at risk of blood-borne infection?"),
}

RAPID_TEST_LABELS: dict[str, str] = {
    "hbsag": "HBsAg",
    "anti_hcv": "anti-HCV",
    "anti_hiv": "anti-HIV",
    "syphilis": _l("syphilis"),
}

MEASUREMENT_LABELS: dict[str, Any] = {
    "weight_kg": _l("weight"),
    "systolic": _l("systolic pressure"),
    "diastolic": _l("diastolic pressure"),
    "pulse": _l("pulse"),
    "hb_g_l": _l("haemoglobin"),
    "temperature_c": _l("temperature"),
    "total_protein_g_l": _l("total protein"),
    "alt_u_l": _l("ALT"),
}


# Facts that are days: stored as ISO text (a visit's reasons), shown as dates.
_DATE_FACTS = frozenset({"previous", "earliest", "ends_on"})


def _display(key: str, value: Any) -> Any:
    if isinstance(value, str) and key in _DATE_FACTS:
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date):
        return format_date(value, "medium")
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 650.0 g reads "650 g"
    if key == "previous_kind":
        return str(DONATION_KIND_WORDS.get(value, value))
    if key == "question":
        return str(QUESTION_LABELS.get(value, value))
    if key == "test":
        return str(RAPID_TEST_LABELS.get(value, value))
    if key == "measurement":
        return str(MEASUREMENT_LABELS.get(value, value))
    return value


def describe(reason: Reason) -> str:
    template = REASON_MESSAGES.get(reason.code)
    if template is None:
        return str(_l("Not eligible under a rule of this station's profile."))
    facts = {key: _display(key, value) for key, value in reason.facts.items()}
    try:
        return str(template) % facts
    except (KeyError, TypeError):
        return str(template)


def reason_as_json(reason: Reason) -> dict[str, Any]:
    """Stable code, the figures, and the sentence in the caller's language."""
    facts = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in reason.facts.items()}
    return {"code": reason.code, "facts": facts, "message": describe(reason)}
