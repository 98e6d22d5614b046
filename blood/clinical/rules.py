"""Clinical blood use as pure rules: no Flask, no database, no translation.

The caller gathers the facts (the unit, the patient, the pre-transfusion values, what the
patient already received in the approval window, who signed) and these functions answer with
``Finding``s: each a stable code and the figures for its message. A finding that ``refuses``
stops the record (an ABO-incompatible red-cell unit); every other one is a flag: the record is
kept, and the flag tells the hospital's transfusion committee and the regulator why it needs a
look. Turning codes into words is ``blood.clinical.messages``' job.

Figures are data: a ``Profile`` per jurisdiction (``CN_CLINICAL``, from
/work/shared/domain-rules.md, "Clinical blood use — China"), which a deployment changes through
``Settings`` (``blood/settings.py``, the ``clinical_*`` fields). Figures the cited sources do
not confirm are marked "unconfirmed" where they are defined.

Sources: 医疗机构临床用血管理办法 (Ministry of Health order No. 85, 2012, Art. 21: counting and
approval tiers); 临床输血技术规范 (2000: red-cell, platelet and plasma indications); ISBT/IHN
haemovigilance definitions (reaction categories and their usual onset), NHSN Hemovigilance
Module (severity, imputability, outcome).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

COMPONENTS = ("red_cells", "plasma", "platelets", "cryo")
SEXES = ("M", "F")

# --- ABO/RhD -------------------------------------------------------------------------------------

# The donor groups whose RED CELLS a recipient of each group may receive (the recipient's
# antibodies against the donor's cells): O to all, A to A and AB, B to B and AB, AB to AB.
RED_CELL_DONORS_FOR = MappingProxyType(
    {"O": frozenset("O"), "A": frozenset({"A", "O"}), "B": frozenset({"B", "O"}),
     "AB": frozenset({"AB", "A", "B", "O"})}
)  # fmt: skip
# The donor groups whose PLASMA (and cryoprecipitate) a recipient may receive: the reverse
# (the donor's antibodies against the recipient's cells): AB plasma to all, O plasma to O only.
PLASMA_DONORS_FOR = MappingProxyType(
    {"O": frozenset({"O", "A", "B", "AB"}), "A": frozenset({"A", "AB"}),
     "B": frozenset({"B", "AB"}), "AB": frozenset({"AB"})}
)  # fmt: skip
_DONORS = {"red_cells": RED_CELL_DONORS_FOR, "plasma": PLASMA_DONORS_FOR}
# What is given when the patient's group is not known (the emergency choice).
UNIVERSAL = MappingProxyType({"red_cells": "O", "plasma": "AB"})

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


# --- the profile ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The usual onset of a reaction, in hours after the end of the transfusion (0: during
    it); ``high`` None: no upper limit."""

    low: float
    high: float | None

    def holds(self, hours: float) -> bool:
        return hours >= self.low and (self.high is None or hours <= self.high)


# Hours after the transfusion in which each category usually starts. From domain-rules.md:
# acute haemolytic < 24 h, delayed haemolytic 24 h – 28 days, TACO < 12 h, TRALI < 6 h. The
# others from the ISBT/IHN definitions (unconfirmed against the national text): febrile,
# allergic and anaphylactic during or within 4 h, hypotensive within 1 h, dyspnoea within 24 h,
# post-transfusion purpura 5–12 days, TA-GvHD 2 days – 6 weeks. A transfusion-transmitted
# infection, or "other", may show at any time: no window.
REACTION_WINDOWS: Mapping[str, Window] = MappingProxyType(
    {
        "febrile_non_haemolytic": Window(0, 4),
        "allergic": Window(0, 4),
        "anaphylactic": Window(0, 4),
        "acute_haemolytic": Window(0, 24),
        "delayed_haemolytic": Window(24, 28 * 24),
        "taco": Window(0, 12),
        "trali": Window(0, 6),
        "ta_dyspnoea": Window(0, 24),
        "hypotensive": Window(0, 1),
        "post_transfusion_purpura": Window(5 * 24, 12 * 24),
        "ta_gvhd": Window(2 * 24, 6 * 7 * 24),
    }
)


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's figures for clinical use. Field names match the ``clinical_*``
    settings that override them (``Settings.clinical_ml_per_unit`` → ``ml_per_unit``)."""

    code: str
    # Red cells and whole blood are counted in units of this much whole blood (1 U from
    # 200 mL: 800 mL ≈ 4 U, 1,600 mL ≈ 8 U).
    ml_per_unit: int = 200
    # From the first volume (mL of whole blood, in the window) the department head signs;
    # from the second the medical department approves as well.
    approval_tiers_ml: tuple[int, int] = (800, 1600)
    approval_window_hours: int = 24
    # Red cells are flagged above this pre-transfusion Hb (g/L): "not needed" above 100.
    red_cells_max_hb_g_l: float = 100.0
    # Platelets (×10⁹/L) are flagged above the surgical figure (100: "not needed"), or, for a
    # non-surgical patient without bleeding, above the prophylactic figure (20; "to confirm
    # per local policy": unconfirmed).
    platelets_max_surgical: float = 100.0
    platelets_max_medical: float = 20.0
    # Plasma is indicated when PT or APTT is more than this many times normal, or INR more
    # than the INR figure (2.0: common practice, unconfirmed); otherwise it is flagged.
    plasma_min_ratio: float = 1.5
    plasma_min_inr: float = 2.0
    # Cryoprecipitate is flagged above this fibrinogen (g/L). None: no figure in the cited
    # sources, so no such flag unless a deployment sets one (1.5 g/L is common).
    cryo_max_fibrinogen_g_l: float | None = None
    # A post-transfusion value counts when measured within this many hours of the end.
    outcome_window_hours: int = 24
    # A transfusion without an outcome this many hours after its end is on the review list.
    outcome_due_hours: int = 48
    # Red cells are flagged ineffective when Hb rose by less than this per unit (g/L/U).
    # Unconfirmed: half the ~5 g/L per Chinese unit expected in a 60 kg adult (2 U ≈ 10 g/L).
    hb_min_rise_per_unit_g_l: float = 2.5
    # Platelets: a corrected count increment below the early figure within `cci_early_hours`
    # of the end, or below the late figure after that (18–24 h), suggests refractoriness.
    # Between 1 h and 18 h no figure is given: the late (lower) one applies, so only a
    # clearly poor increment is flagged.
    cci_min_early: float = 7.5
    cci_early_hours: float = 1.0
    cci_min_late: float = 4.5
    # Platelets in one apheresis unit, ×10¹¹ (GB 18469-2012 requires ≥ 2.5 ×10¹¹ a bag; to
    # confirm), used for the CCI when the outcome does not say how many were given.
    apheresis_platelet_dose_e11: float = 2.5
    reaction_windows: Mapping[str, Window] = field(default_factory=lambda: REACTION_WINDOWS)

    def __post_init__(self) -> None:
        low, high = self.approval_tiers_ml
        if not 0 < low < high:
            raise ValueError(f"{self.code}: approval tiers must rise: {self.approval_tiers_ml}")
        if self.ml_per_unit <= 0 or self.approval_window_hours <= 0:
            raise ValueError(f"{self.code}: ml_per_unit and the window must be positive")
        if self.outcome_window_hours <= 0 or self.outcome_due_hours < self.outcome_window_hours:
            raise ValueError(f"{self.code}: an outcome falls due after its window closes")
        unknown = set(self.reaction_windows) - set(REACTION_CATEGORIES)
        if unknown:
            raise ValueError(f"{self.code}: unknown reaction categories {sorted(unknown)}")


CN_CLINICAL = Profile(code="cn-clinical")
PROFILES: Mapping[str, Profile] = MappingProxyType({CN_CLINICAL.code: CN_CLINICAL})


# --- findings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """A refusal (``refuses``) or a flag, with the figures of its message. ``report``: the
    supervising authority is told (e.g. RhD-positive red cells given to an RhD-negative patient
    in an emergency)."""

    code: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    refuses: bool = False
    report: bool = False


# Every refusal and flag code, for the messages' completeness test and the pages' filters.
REFUSAL_CODES = ("abo_incompatible", "rhd_incompatible", "group_unknown_not_universal")
FLAG_CODES = (
    "emergency",
    "rhd_positive_emergency",
    "patient_group_unknown",
    "platelets_abo_non_identical",
    "platelets_rhd_positive_to_negative",
    "cryo_abo_incompatible",
    "approval_missing",
    "ordering_doctor_missing",
    "red_cells_no_hb",
    "red_cells_hb_high",
    "platelets_no_count",
    "platelets_count_high",
    "plasma_no_coagulation",
    "plasma_coagulation_normal",
    "cryo_no_fibrinogen",
    "cryo_fibrinogen_high",
    "no_indication",
    "ineffective_red_cells",
    "ineffective_platelets",
)


def _group(abo: str | None, rhd: str | None) -> str | None:
    return f"{abo}{rhd}" if abo and rhd else None


def compatibility(
    component: str,
    *,
    unit_abo: str,
    unit_rhd: str,
    patient_abo: str | None,
    patient_rhd: str | None,
    emergency: bool = False,
    emergency_reason: str | None = None,
) -> list[Finding]:
    """ABO/RhD of one unit for one patient.

    Red cells: the recipient's antibodies against the donor's cells. Plasma and
    cryoprecipitate: the reverse. Incompatible red cells or plasma are refused; incompatible
    cryoprecipitate and non-identical platelets are accepted with a flag. RhD-positive red
    cells for a known RhD-negative patient are refused unless given in an emergency with its
    reason (then flagged and reported). A patient's unknown group is flagged; when the ABO
    group is unknown only the emergency choice (group O red cells, AB plasma) is accepted.
    """
    facts = {
        "component": component,
        "unit_group": _group(unit_abo, unit_rhd),
        "patient_group": _group(patient_abo, patient_rhd),
    }
    findings: list[Finding] = []
    if patient_abo is None:
        universal = UNIVERSAL.get(component)
        if universal is not None and unit_abo != universal:
            return [
                Finding(
                    "group_unknown_not_universal", {**facts, "universal": universal}, refuses=True
                )
            ]
    elif component in ("red_cells", "plasma") and unit_abo not in _DONORS[component][patient_abo]:
        findings.append(Finding("abo_incompatible", facts, refuses=True))
    elif component == "cryo" and unit_abo not in PLASMA_DONORS_FOR[patient_abo]:
        findings.append(Finding("cryo_abo_incompatible", facts))
    elif component == "platelets" and unit_abo != patient_abo:
        findings.append(Finding("platelets_abo_non_identical", facts))

    if patient_rhd == "-" and unit_rhd == "+":
        if component == "red_cells":
            if emergency and emergency_reason:
                findings.append(
                    Finding(
                        "rhd_positive_emergency", {**facts, "reason": emergency_reason}, report=True
                    )
                )
            else:
                findings.append(Finding("rhd_incompatible", facts, refuses=True))
        elif component == "platelets":
            findings.append(Finding("platelets_rhd_positive_to_negative", facts))

    if patient_abo is None or patient_rhd is None:
        parts = (("ABO", patient_abo), ("RhD", patient_rhd))
        unknown = [part for part, value in parts if not value]
        findings.append(Finding("patient_group_unknown", {**facts, "unknown": "/".join(unknown)}))
    return findings


def counted_ml(*, source_ml: int | None, unit_ml: int, ml_per_unit: int) -> int:
    """The whole-blood volume a red-cell unit counts for: its donation's volume; when the
    donation is not known (a unit from another system), the bag's volume rounded up to whole
    units (an estimate)."""
    if source_ml:
        return int(source_ml)
    return max(1, math.ceil(unit_ml / ml_per_unit)) * ml_per_unit


def required_tiers(profile: Profile, total_ml: int) -> tuple[str, ...]:
    """Who must have signed for a patient's red-cell volume in the window (besides the
    ordering doctor)."""
    low, high = profile.approval_tiers_ml
    if total_ml >= high:
        return (DEPARTMENT_HEAD, MEDICAL_DEPARTMENT)
    if total_ml >= low:
        return (DEPARTMENT_HEAD,)
    return ()


@dataclass(frozen=True)
class Approval:
    """The approval a red-cell transfusion needed: the patient's volume in the window
    (this unit included), the tiers it required, and what was missing."""

    total_ml: int
    required: tuple[str, ...]
    findings: tuple[Finding, ...]


def approval(
    profile: Profile,
    *,
    counted: int,
    earlier_ml: int,
    signed: Iterable[str],
    emergency: bool,
) -> Approval:
    """The approval tier of a red-cell transfusion by the patient's whole-blood volume in
    the rolling window (earlier units plus this one), against the tiers signed on any of the
    patient's transfusions in that window (one request is approved once). Missing
    signatures are flagged, never refused: the blood is already given. Emergencies are
    exempt (and flagged as emergencies by ``emergency_flag``)."""
    total = earlier_ml + counted
    required = required_tiers(profile, total)
    if emergency:
        return Approval(total, required, ())
    missing = [tier for tier in required if tier not in set(signed)]
    if not missing:
        return Approval(total, required, ())
    facts = {
        "total_ml": total,
        "window_hours": profile.approval_window_hours,
        "required": list(required),
        "missing": missing,
    }
    return Approval(total, required, (Finding("approval_missing", facts),))


def emergency_flag(emergency: bool, reason: str | None) -> list[Finding]:
    return [Finding("emergency", {"reason": reason or ""})] if emergency else []


def ordering_doctor_flag(ordering_doctor: bool) -> list[Finding]:
    return [] if ordering_doctor else [Finding("ordering_doctor_missing")]


@dataclass(frozen=True)
class PreValues:
    """The pre-transfusion values that apply (None: not given)."""

    hb_g_l: float | None = None
    platelets_e9_l: float | None = None
    pt_ratio: float | None = None
    inr: float | None = None
    aptt_ratio: float | None = None
    fibrinogen_g_l: float | None = None


def appropriateness(
    profile: Profile,
    component: str,
    pre: PreValues,
    *,
    surgical: bool,
    bleeding: bool,
    indication: str | None,
) -> list[Finding]:
    """Flags (never refusals) where the values do not show the indication of
    临床输血技术规范: red cells above the Hb figure; platelets above the surgical figure, or
    for a non-surgical patient without bleeding above the prophylactic one; plasma with no
    coagulation value, or with PT and APTT at most the ratio and INR at most its figure;
    cryoprecipitate with no fibrinogen (above a deployment's figure, when it sets one); any
    component without an indication code; a missing value is flagged as such."""
    findings: list[Finding] = []
    if component == "red_cells":
        if pre.hb_g_l is None:
            findings.append(Finding("red_cells_no_hb"))
        elif pre.hb_g_l > profile.red_cells_max_hb_g_l:
            findings.append(
                Finding(
                    "red_cells_hb_high",
                    {"hb": pre.hb_g_l, "maximum": profile.red_cells_max_hb_g_l},
                )
            )
    elif component == "platelets":
        limit = (
            profile.platelets_max_medical
            if not surgical and not bleeding
            else profile.platelets_max_surgical
        )
        if pre.platelets_e9_l is None:
            findings.append(Finding("platelets_no_count"))
        elif pre.platelets_e9_l > limit:
            findings.append(
                Finding(
                    "platelets_count_high",
                    {
                        "count": pre.platelets_e9_l,
                        "maximum": limit,
                        "surgical": surgical,
                        "bleeding": bleeding,
                    },
                )
            )
    elif component == "plasma":
        values = (pre.pt_ratio, pre.aptt_ratio, pre.inr)
        if all(v is None for v in values):
            findings.append(Finding("plasma_no_coagulation"))
        elif not (
            (pre.pt_ratio is not None and pre.pt_ratio > profile.plasma_min_ratio)
            or (pre.aptt_ratio is not None and pre.aptt_ratio > profile.plasma_min_ratio)
            or (pre.inr is not None and pre.inr > profile.plasma_min_inr)
        ):
            findings.append(
                Finding(
                    "plasma_coagulation_normal",
                    {
                        "pt_ratio": pre.pt_ratio,
                        "aptt_ratio": pre.aptt_ratio,
                        "inr": pre.inr,
                        "ratio": profile.plasma_min_ratio,
                        "inr_limit": profile.plasma_min_inr,
                    },
                )
            )
    elif component == "cryo":
        if pre.fibrinogen_g_l is None:
            findings.append(Finding("cryo_no_fibrinogen"))
        elif (
            profile.cryo_max_fibrinogen_g_l is not None
            and pre.fibrinogen_g_l > profile.cryo_max_fibrinogen_g_l
        ):
            findings.append(
                Finding(
                    "cryo_fibrinogen_high",
                    {"fibrinogen": pre.fibrinogen_g_l, "maximum": profile.cryo_max_fibrinogen_g_l},
                )
            )
    if not indication:
        findings.append(Finding("no_indication"))
    return findings


# --- the effect of a transfusion (输血后疗效评价) ------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """What a post-transfusion value says: the increment (Hb rise per unit of red cells, g/L;
    platelet count rise, ×10⁹/L), the corrected count increment of platelets, and whether the
    transfusion was ineffective (None: not judged, ``basis`` says why)."""

    increment: float | None = None
    cci: float | None = None
    ineffective: bool | None = None
    basis: str | None = None  # why it was not judged: no_pre_value, no_bsa, no_dose, no_rule
    finding: Finding | None = None


def red_cell_effect(
    profile: Profile, *, pre_hb: float | None, post_hb: float, units: float
) -> Effect:
    """Hb rise per unit of red cells (units given between the pre-transfusion value and the
    measurement); ineffective below the profile's figure."""
    if pre_hb is None:
        return Effect(basis="no_pre_value")
    if units <= 0:
        return Effect(basis="no_rule")
    rise = round((post_hb - pre_hb) / units, 2)
    ineffective = rise < profile.hb_min_rise_per_unit_g_l
    finding = (
        Finding(
            "ineffective_red_cells",
            {"rise": rise, "minimum": profile.hb_min_rise_per_unit_g_l, "units": units},
        )
        if ineffective
        else None
    )
    return Effect(increment=rise, ineffective=ineffective, finding=finding)


def platelet_effect(
    profile: Profile,
    *,
    pre_count: float | None,
    post_count: float,
    bsa_m2: float | None,
    dose_e11: float | None,
    hours_after_end: float,
) -> Effect:
    """Platelet increment, and CCI = (post − pre) × BSA ÷ platelets given (×10¹¹) when the
    body surface area and the dose are known; ineffective below the early figure within
    ``cci_early_hours`` of the end, below the late figure after."""
    if pre_count is None:
        return Effect(basis="no_pre_value")
    increment = round(post_count - pre_count, 2)
    if bsa_m2 is None:
        return Effect(increment=increment, basis="no_bsa")
    if not dose_e11:
        return Effect(increment=increment, basis="no_dose")
    cci = round(increment * bsa_m2 / dose_e11, 2)
    early = hours_after_end <= profile.cci_early_hours
    minimum = profile.cci_min_early if early else profile.cci_min_late
    ineffective = cci < minimum
    finding = (
        Finding(
            "ineffective_platelets",
            {"cci": cci, "minimum": minimum, "hours": round(hours_after_end, 1)},
        )
        if ineffective
        else None
    )
    return Effect(increment=increment, cci=cci, ineffective=ineffective, finding=finding)


def coagulation_effect(*, pre: float | None, post: float) -> Effect:
    """Plasma and cryoprecipitate: the change is recorded, not judged (no figure given)."""
    if pre is None:
        return Effect(basis="no_pre_value")
    return Effect(increment=round(post - pre, 2), basis="no_rule")


# --- adverse reactions ---------------------------------------------------------------------------


def onset(
    profile: Profile,
    category: str,
    onset_at: datetime,
    transfusions: Iterable[tuple[datetime, datetime]],
) -> Finding | None:
    """Whether a reaction's onset fits its category's usual window after any of the linked
    transfusions (start, end): None when it does (or the category has none); a warning
    ``onset_outside_window`` when it does not (accepted: the clinician saw what they saw); a
    refusal ``onset_before_transfusion`` when it started before every linked transfusion."""
    periods = list(transfusions)
    started = [(start, end) for start, end in periods if onset_at >= start]
    if not started:
        first = min(start for start, _end in periods)
        return Finding("onset_before_transfusion", {"first_start": first}, refuses=True)
    window = profile.reaction_windows.get(category)
    if window is None:
        return None
    delays = [max(0.0, (onset_at - end).total_seconds() / 3600) for _start, end in started]
    if any(window.holds(hours) for hours in delays):
        return None
    return Finding(
        "onset_outside_window",
        {
            "category": category,
            "hours": round(min(delays), 1),
            "low": window.low,
            "high": window.high,
        },
    )


def alert_required(category: str, severity: int) -> bool:
    """Life-threatening or fatal reactions, and transfusion-transmitted infections, are
    reported to the supervising authority at once."""
    return severity >= ALERT_SEVERITY or category in ALERT_CATEGORIES
