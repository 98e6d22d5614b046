"""The alert rules, as data, and the pure judgements behind them. No Flask, no database.

Severity follows China's four-colour warning levels (突发事件预警: 红 橙 黄 蓝): red (level I,
the gravest), orange (II), yellow (III), blue (IV).

A rule is either a *condition* the evaluation checks again and again (stock too low, a rate
too high, silence): its alert opens once, is updated while the condition lasts, and closes
itself when it clears; or an *event* (a life-threatening reaction): raised when it happens,
closed by an inspector. The figures the judgements use are ``Settings`` fields (see
``blood/settings.py``: ``stock_minimum_units``, ``alert_*``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from blood.supervision.indicators import (
    BLOOD_CENTRE,
    HOLDERS,
    HOSPITAL,
    PLASMA_STATION,
)

RED, ORANGE, YELLOW, BLUE = "red", "orange", "yellow", "blue"
SEVERITIES = (RED, ORANGE, YELLOW, BLUE)
LEVEL = MappingProxyType({RED: 1, ORANGE: 2, YELLOW: 3, BLUE: 4})


@dataclass(frozen=True)
class AlertRule:
    code: str
    kinds: frozenset[str]  # the organisations it watches
    evaluated: bool  # a condition (closes itself when it clears); False: an event
    severity: str  # its usual severity


RULES: Mapping[str, AlertRule] = MappingProxyType(
    {
        r.code: r
        for r in (
            AlertRule("stock_minimum", HOLDERS, True, RED),
            AlertRule("stock_phase", HOLDERS, True, ORANGE),
            AlertRule("severe_reaction", frozenset({HOSPITAL}), False, RED),
            AlertRule("reactive_rate", frozenset({PLASMA_STATION, BLOOD_CENTRE}), True, ORANGE),
            AlertRule("refused_attempts", frozenset({PLASMA_STATION}), True, YELLOW),
            AlertRule("wastage", HOLDERS, True, YELLOW),
            AlertRule("silent", frozenset({PLASMA_STATION, HOSPITAL}), True, YELLOW),
            AlertRule("notice_overdue", HOLDERS | {PLASMA_STATION}, True, ORANGE),  # look-back
            # The nightly forecast (analytics): raised and cleared by each run, not evaluated.
            AlertRule("projected_shortage", frozenset({BLOOD_CENTRE}), False, ORANGE),
        )
    }
)
EVALUATED = tuple(code for code, rule in RULES.items() if rule.evaluated)


def graver(a: str, b: str) -> bool:
    """Whether severity `a` is graver than `b`."""
    return LEVEL[a] < LEVEL[b]


def phase_severity(phase: str) -> str | None:
    """A stock phase's alert: red for red, orange for amber; none above."""
    return {"red": RED, "amber": ORANGE}.get(phase)


def reaction_severity(category: str, severity: int) -> str:
    """A death (NHSN severity 4) or a transfusion-transmitted infection is red; a
    life-threatening reaction (3) orange."""
    return RED if severity >= 4 or category == "tti" else ORANGE


def reactive_spike(
    recent: tuple[float, float],
    baseline: tuple[float, float],
    *,
    factor: float,
    min_reactive: int,
) -> bool:
    """Whether the recent (reactive, tested) is well above the baseline's rate: at least
    `min_reactive` reactive results, and a rate at least `factor` times the baseline's (any
    rate, over a baseline without reactive results). Without a baseline (nothing tested),
    nothing can be said."""
    reactive, tested = recent
    base_reactive, base_tested = baseline
    if reactive < min_reactive or not tested or not base_tested:
        return False
    return reactive / tested >= factor * (base_reactive / base_tested)


def wastage_exceeds(
    wasted: float, denominator: float, *, percent: float | None, min_units: int
) -> bool:
    """Whether wastage is above its threshold, over enough units to mean something."""
    if percent is None or denominator < min_units or not denominator:
        return False
    return wasted * 100 / denominator > percent


def group_label(group: str) -> str:
    """``O-`` as it is printed: O− (with a true minus sign)."""
    return group.replace("-", "−")
