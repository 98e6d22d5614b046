"""Stock alert phases from days of supply. Pure: no Flask, no database.

Days of supply → phase, NHSBT-style: Green, Pre-Amber, Amber, Red. Each threshold is the
lowest figure of its phase. The figures are configuration (``STOCK_ALERT_THRESHOLDS``), per
component and optionally per ABO/RhD group, e.g.
``{"red_cells": {"pre_amber": 7, "O-": {"pre_amber": 6, "amber": 3, "red": 2}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PHASES = ("green", "pre_amber", "amber", "red")
BAND_NAMES = ("pre_amber", "amber", "red")

DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "red_cells": {"pre_amber": 6, "amber": 4, "red": 2},
    "platelets": {"pre_amber": 3, "amber": 2, "red": 1},
    "plasma": {"pre_amber": 14, "amber": 10, "red": 7},
    "cryo": {"pre_amber": 14, "amber": 10, "red": 7},
}


def thresholds_for(
    component: str, group: str, configured: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """The bands of one component and group: defaults, then the component's configured
    figures, then the group's."""
    for_component = (configured or {}).get(component, {})
    return {
        **DEFAULT_THRESHOLDS[component],
        **{k: v for k, v in for_component.items() if k in BAND_NAMES},
        **for_component.get(group, {}),
    }


def phase_of(days: float | None, on_hand: int, limits: Mapping[str, float]) -> str:
    """Green at or above pre-amber's threshold; then pre-amber, amber, red. With no usage in
    the window, days of supply are undefined: "none" when nothing is held, else green."""
    if days is None:
        return "none" if on_hand == 0 else "green"
    if days >= limits["pre_amber"]:
        return "green"
    if days >= limits["amber"]:
        return "pre_amber"
    if days >= limits["red"]:
        return "amber"
    return "red"
