"""The clinical rules' codes in words (the rules themselves are pure), and the domain's
vocabulary as the pages show it: never a raw code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from blood.errors import DomainError

COMPONENT_LABELS: dict[str, Any] = {
    "red_cells": _l("Red cells"),
    "plasma": _l("Plasma"),
    "platelets": _l("Platelets"),
    "cryo": _l("Cryoprecipitate"),
}

SEX_LABELS: dict[str, Any] = {"M": _l("Male"), "F": _l("Female")}

AGE_BAND_LABELS: dict[str, Any] = {
    "under_1": _l("Under 1 year"),
    "1_17": _l("1–17 years"),
    "18_44": _l("18–44 years"),
    "45_59": _l("45–59 years"),
    "60_74": _l("60–74 years"),
    "75_plus": _l("75 years and over"),
}

TIER_LABELS: dict[str, Any] = {
    "senior_doctor": _l("Senior doctor"),
    "department_head": _l("Department head"),
    "medical_department": _l("Medical department"),
}

CATEGORY_LABELS: dict[str, Any] = {
    "febrile_non_haemolytic": _l("Febrile non-haemolytic reaction"),
    "allergic": _l("Allergic reaction"),
    "anaphylactic": _l("Anaphylactic reaction"),
    "acute_haemolytic": _l("Acute haemolytic reaction"),
    "delayed_haemolytic": _l("Delayed haemolytic reaction"),
    "taco": _l("Transfusion-associated circulatory overload (TACO)"),
    "trali": _l("Transfusion-related acute lung injury (TRALI)"),
    "ta_dyspnoea": _l("Transfusion-associated dyspnoea"),
    "hypotensive": _l("Hypotensive reaction"),
    "post_transfusion_purpura": _l("Post-transfusion purpura"),
    "ta_gvhd": _l("Transfusion-associated graft-versus-host disease"),
    "tti": _l("Transfusion-transmitted infection"),
    "other": _l("Other reaction"),
}

SEVERITY_LABELS: dict[int, Any] = {
    1: _l("1 – non-severe"),
    2: _l("2 – severe"),
    3: _l("3 – life-threatening"),
    4: _l("4 – death"),
}

IMPUTABILITY_LABELS: dict[str, Any] = {
    "definite": _l("Definite"),
    "probable": _l("Probable"),
    "possible": _l("Possible"),
    "doubtful": _l("Doubtful"),
    "ruled_out": _l("Ruled out"),
    "not_determined": _l("Not determined"),
}

REACTION_OUTCOME_LABELS: dict[str, Any] = {
    "death": _l("Death"),
    "major_sequelae": _l("Major or long-term sequelae"),
    "minor_or_none": _l("Minor or no sequelae"),
    "not_determined": _l("Not determined"),
}

RETURN_REASON_LABELS: dict[str, Any] = {
    "not_needed": _l("No longer needed for the patient"),
    "near_expiry": _l("Close to expiry, for use elsewhere"),
    "temperature_excursion": _l("Storage temperature out of range"),
    "damaged": _l("Bag damaged or leaking"),
    "recall": _l("Recalled by the blood centre"),
    "other": _l("Other"),
}

REVIEW_LABELS: dict[str | None, Any] = {
    None: _l("No flags"),
    "open": _l("Waiting for the committee"),
    "reviewed": _l("Reviewed by the committee"),
}

# Why an effect was not judged (``rules.Effect.basis``).
BASIS_LABELS: dict[str | None, Any] = {
    None: "",
    "no_pre_value": _l("Not judged: no pre-transfusion value."),
    "no_bsa": _l("Not judged: the body surface area was not given, so no CCI."),
    "no_dose": _l("Not judged: how many platelets were given is not known, so no CCI."),
    "no_rule": _l("Recorded; no threshold applies."),
}

# --- refusals: a stable code, its HTTP status and the sentence -----------------------------------

REFUSALS: dict[str, tuple[int, Any]] = {
    # ABO/RhD (rules.compatibility)
    "abo_incompatible": (
        422,
        _l(
            "ABO incompatible: %(component)s of group %(unit_group)s cannot be given to a "
            "patient of group %(patient_group)s."
        ),
    ),
    "rhd_incompatible": (
        422,
        _l(
            "RhD-positive red cells (%(unit_group)s) for an RhD-negative patient "
            "(%(patient_group)s): only in an emergency, with its reason."
        ),
    ),
    "group_unknown_not_universal": (
        422,
        _l(
            "The patient's ABO group is not known: only group %(universal)s %(component)s may "
            "be given (this unit is %(unit_group)s)."
        ),
    ),
    # the unit (the stock's state machine, in clinical words)
    "unit_already_transfused": (409, _l("Unit %(unit)s was already transfused.")),
    "unit_not_received": (
        409,
        _l("Unit %(unit)s has not been received at this hospital yet: confirm its receipt first."),
    ),
    "unit_on_hold": (
        409,
        _l(
            "Unit %(unit)s is on hold after a temperature excursion: it cannot be transfused; "
            "return it to the blood centre or discard it."
        ),
    ),
    "unit_blocked": (
        409,
        _l(
            "Unit %(unit)s is blocked by a look-back (its donor has since tested reactive): it "
            "cannot be transfused; discard it."
        ),
    ),
    "unit_expired": (409, _l("Unit %(unit)s expired on %(expired)s: it cannot be transfused.")),
    "unit_marked_expired": (
        409,
        _l(
            "Unit %(unit)s was marked expired (%(expired)s) before this record came: the "
            "transfusion cannot be recorded against it. Ask your system administrator."
        ),
    ),
    "unit_not_in_stock": (
        409,
        _l("Unit %(unit)s is not in this hospital's stock: it is %(state)s."),
    ),
    # the record's own facts
    "duplicate_reference": (
        409,
        _l("Your record %(reference)s was already received (record %(existing)s)."),
    ),
    "time_in_future": (422, _l("%(field)s is in the future.")),
    "ended_before_started": (422, _l("The transfusion ends before it starts.")),
    "started_before_collection": (
        422,
        _l("The transfusion starts before the unit was collected (%(collected)s)."),
    ),
    "age_band_mismatch": (
        422,
        _l("Birth year %(birth_year)s does not fit the age band %(age_band)s."),
    ),
    # outcomes
    "outcome_measure_missing": (
        422,
        _l("Give the post-transfusion value that applies to %(component)s: %(measures)s."),
    ),
    "outcome_before_end": (
        422,
        _l("The value was measured before the transfusion ended (%(ended)s)."),
    ),
    "outcome_too_late": (
        422,
        _l(
            "The value was measured %(hours)s hours after the transfusion ended: it counts "
            "only within %(window)s hours."
        ),
    ),
    # adverse reactions
    "onset_before_transfusion": (
        422,
        _l("The reaction starts before the first linked transfusion (%(first_start)s)."),
    ),
    "reaction_transfusions_differ": (
        422,
        _l("A reaction is linked to transfusions of one patient: these are of several."),
    ),
    # reads
    "patient_lookup_own_hospital": (
        403,
        _l("Only the hospital that recorded a patient can find them by their record number."),
    ),
    "bad_cursor": (422, _l("This cursor is not one the server gave: start again without it.")),
}


class ClinicalRefusal(DomainError):
    """A clinical rule refused the record: ``code`` is one of ``REFUSALS``."""

    def __init__(self, code: str, /, **facts: Any):
        status, template = REFUSALS[code]
        super().__init__(template, **facts)
        self.code = code
        self.status = status

    @property
    def message(self) -> str:
        return format_message(self.template, self.facts)


def refusal(code: str, **facts: Any) -> ClinicalRefusal:
    return ClinicalRefusal(code, **facts)


# --- flags and warnings --------------------------------------------------------------------------

FLAG_MESSAGES: dict[str, Any] = {
    "emergency": _l("Emergency transfusion: %(reason)s"),
    "rhd_positive_emergency": _l(
        "RhD-positive red cells (%(unit_group)s) given to an RhD-negative patient "
        "(%(patient_group)s) in an emergency: %(reason)s. Reported to the supervising authority."
    ),
    "patient_group_unknown": _l(
        "The patient's group (%(unknown)s) was not known: %(component)s of group %(unit_group)s "
        "given."
    ),
    "platelets_abo_non_identical": _l(
        "Platelets of group %(unit_group)s for a patient of group %(patient_group)s: not "
        "ABO-identical."
    ),
    "platelets_rhd_positive_to_negative": _l(
        "RhD-positive platelets for an RhD-negative patient: consider anti-D prophylaxis."
    ),
    "cryo_abo_incompatible": _l(
        "Cryoprecipitate of group %(unit_group)s for a patient of group %(patient_group)s: the "
        "donor's plasma is ABO-incompatible."
    ),
    "approval_missing": _l(
        "%(total_ml)s mL of whole blood in %(window_hours)s hours needs the approval of "
        "%(required)s; "
        "missing: %(missing)s."
    ),
    "ordering_doctor_missing": _l("No ordering doctor recorded."),
    "red_cells_no_hb": _l("Red cells without a pre-transfusion haemoglobin."),
    "red_cells_hb_high": _l(
        "Red cells at a pre-transfusion haemoglobin of %(hb)s g/L (above %(maximum)s g/L)."
    ),
    "platelets_no_count": _l("Platelets without a pre-transfusion platelet count."),
    "platelets_count_high": _l(
        "Platelets at a pre-transfusion count of %(count)s ×10⁹/L (above %(maximum)s ×10⁹/L "
        "for %(context)s)."
    ),
    "plasma_no_coagulation": _l("Plasma without a pre-transfusion PT, INR or APTT."),
    "plasma_coagulation_normal": _l(
        "Plasma with PT and APTT at most %(ratio)s × normal and INR at most %(inr_limit)s "
        "(PT %(pt_ratio)s, APTT %(aptt_ratio)s, INR %(inr)s)."
    ),
    "cryo_no_fibrinogen": _l("Cryoprecipitate without a pre-transfusion fibrinogen."),
    "cryo_fibrinogen_high": _l(
        "Cryoprecipitate at a fibrinogen of %(fibrinogen)s g/L (above %(maximum)s g/L)."
    ),
    "no_indication": _l("No indication (ICD-10 code) recorded."),
    "ineffective_red_cells": _l(
        "Ineffective: haemoglobin rose %(rise)s g/L per unit over %(units)s units (expected at "
        "least %(minimum)s)."
    ),
    "ineffective_platelets": _l(
        "Ineffective: corrected count increment %(cci)s at %(hours)s hours (expected at least "
        "%(minimum)s): consider refractoriness."
    ),
}

FLAG_LABELS: dict[str, Any] = {
    "emergency": _l("Emergency"),
    "rhd_positive_emergency": _l("RhD-positive red cells to an RhD-negative patient"),
    "patient_group_unknown": _l("Patient's group unknown"),
    "platelets_abo_non_identical": _l("Platelets not ABO-identical"),
    "platelets_rhd_positive_to_negative": _l("RhD-positive platelets, RhD-negative patient"),
    "cryo_abo_incompatible": _l("Cryoprecipitate ABO-incompatible"),
    "approval_missing": _l("Approval missing"),
    "ordering_doctor_missing": _l("No ordering doctor"),
    "red_cells_no_hb": _l("Red cells without Hb"),
    "red_cells_hb_high": _l("Red cells at a high Hb"),
    "platelets_no_count": _l("Platelets without a count"),
    "platelets_count_high": _l("Platelets at a high count"),
    "plasma_no_coagulation": _l("Plasma without coagulation values"),
    "plasma_coagulation_normal": _l("Plasma with near-normal coagulation"),
    "cryo_no_fibrinogen": _l("Cryoprecipitate without fibrinogen"),
    "cryo_fibrinogen_high": _l("Cryoprecipitate at a high fibrinogen"),
    "no_indication": _l("No indication"),
    "ineffective_red_cells": _l("Red cells ineffective"),
    "ineffective_platelets": _l("Platelets ineffective"),
}

WARNING_MESSAGES: dict[str, Any] = {
    "onset_outside_window": _l(
        "%(category)s usually starts %(window)s; this one started %(hours)s hours after the "
        "transfusion. Recorded as reported: check the category."
    ),
}


class _Facts(dict):
    """Facts for a sentence: a figure the sentence names but the facts lack reads "—"."""

    def __missing__(self, key: str) -> str:
        return "—"


def _words(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Codes inside facts, in words: components, tiers, categories; None as "—"."""
    words: dict[str, Any] = {}
    for key, value in facts.items():
        if key == "component":
            value = COMPONENT_LABELS.get(value, value)
        elif key in ("required", "missing") and isinstance(value, list | tuple):
            value = "、".join(str(TIER_LABELS.get(v, v)) for v in value) or "—"
        elif key == "category":
            value = CATEGORY_LABELS.get(value, value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None or value == "":
            value = "—"
        words[key] = value
    if "surgical" in facts:
        words["context"] = (
            _l("a surgical or bleeding patient")
            if facts.get("surgical") or facts.get("bleeding")
            else _l("a non-surgical patient without bleeding")
        )
    if "low" in facts:
        words["window"] = window_words(facts.get("low"), facts.get("high"))
    return words


def window_words(low: float | None, high: float | None) -> str:
    if high is None:
        return str(_l("%(low)s hours or more after the transfusion") % {"low": _n(low)})
    if not low:
        return str(_l("during or within %(high)s hours of the transfusion") % {"high": _n(high)})
    return str(
        _l("%(low)s to %(high)s hours after the transfusion") % {"low": _n(low), "high": _n(high)}
    )


def _n(value: float | None) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def format_message(template: Any, facts: Mapping[str, Any]) -> str:
    return str(template) % _Facts(_words(facts)) if facts else str(template) % _Facts()


def flag_text(code: str, facts: Mapping[str, Any] | None) -> str:
    """One flag in a sentence, in the request's language."""
    template = FLAG_MESSAGES.get(code)
    if template is None:
        return code
    return format_message(template, facts or {})


def flag_label(code: str) -> str:
    return str(FLAG_LABELS.get(code, code))


def warning_text(warning: Mapping[str, Any] | None) -> str:
    if not warning:
        return ""
    code = warning.get("code", "")
    template = WARNING_MESSAGES.get(code)
    return format_message(template, warning.get("facts") or {}) if template else code
