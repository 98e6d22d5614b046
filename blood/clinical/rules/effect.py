"""The effect of a transfusion (输血后疗效评价): the increment a post-transfusion value shows, and
whether the transfusion was ineffective."""

from __future__ import annotations

from dataclasses import dataclass

from blood.clinical.rules.findings import Finding
from blood.clinical.rules.profile import Profile

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
