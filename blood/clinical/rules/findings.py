"""What the rules answer with: a ``Finding`` (a refusal or a flag, with the figures of its
message), and every refusal and flag code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
