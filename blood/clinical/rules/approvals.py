"""The approval a red-cell transfusion needs (医疗机构临床用血管理办法 Art. 21): the whole-blood
volume a unit counts for, the tiers a patient's volume in the window requires, and the flags
for what is missing."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from blood.clinical.rules.findings import Finding
from blood.clinical.rules.profile import Profile
from blood.clinical.rules.vocabulary import DEPARTMENT_HEAD, MEDICAL_DEPARTMENT


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
