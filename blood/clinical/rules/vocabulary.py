"""The codes of clinical use: components, sexes, approval tiers, the haemovigilance vocabulary,
return reasons and patients' age bands. Pure: no Flask, no database, no translation."""

from __future__ import annotations

COMPONENTS = ("red_cells", "plasma", "platelets", "cryo")
SEXES = ("M", "F")

# --- approvals (医疗机构临床用血管理办法 Art. 21) ------------------------------------------------

SENIOR_DOCTOR, DEPARTMENT_HEAD, MEDICAL_DEPARTMENT = (
    "senior_doctor",
    "department_head",
    "medical_department",
)
# The tiers an approver may sign as. Under the first volume figure the ordering doctor's
# request (with a senior doctor's signature) suffices; from it the department head signs;
# from the second the department head signs and the medical department approves.
APPROVAL_TIERS = (SENIOR_DOCTOR, DEPARTMENT_HEAD, MEDICAL_DEPARTMENT)

# --- haemovigilance vocabulary (domain-rules.md, "Haemovigilance") -------------------------------

REACTION_CATEGORIES = (
    "febrile_non_haemolytic",
    "allergic",
    "anaphylactic",
    "acute_haemolytic",
    "delayed_haemolytic",
    "taco",
    "trali",
    "ta_dyspnoea",
    "hypotensive",
    "post_transfusion_purpura",
    "ta_gvhd",
    "tti",  # transfusion-transmitted infection
    "other",
)
SEVERITIES = (1, 2, 3, 4)  # NHSN: non-severe, severe, life-threatening, death
IMPUTABILITY = ("definite", "probable", "possible", "doubtful", "ruled_out", "not_determined")
# NHSN's outcome of a reaction: death; major or long-term sequelae; minor or no sequelae; not
# determined. (domain-rules.md names no outcome vocabulary: NHSN's is the one its severity and
# imputability come from.)
REACTION_OUTCOMES = ("death", "major_sequelae", "minor_or_none", "not_determined")
# A reaction at least this severe, or a transfusion-transmitted infection, is reported to the
# supervising authority at once.
ALERT_SEVERITY = 3
ALERT_CATEGORIES = frozenset({"tti"})

# Why a hospital returns a unit to its blood centre (discards use the stock's reasons).
RETURN_REASONS = (
    "not_needed",
    "near_expiry",
    "temperature_excursion",
    "damaged",
    "recall",
    "other",
)

# --- patients ------------------------------------------------------------------------------------

AGE_BANDS = ("under_1", "1_17", "18_44", "45_59", "60_74", "75_plus")
_AGE_BAND_FLOORS = ((75, "75_plus"), (60, "60_74"), (45, "45_59"), (18, "18_44"), (1, "1_17"))


def age_band(birth_year: int, on_year: int) -> str:
    """The band of a patient born in `birth_year`, in `on_year` (the age they reach that
    year: a birth year says no more)."""
    age = on_year - birth_year
    for floor, band in _AGE_BAND_FLOORS:
        if age >= floor:
            return band
    return "under_1"
