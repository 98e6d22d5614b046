"""The figures a synthetic province is made from, and its calendar. Pure data: no Flask, no
database.

Sources. Sizes come from /work/shared/domain-rules.md, "Scale": a province collects about
1 million plasma donations and 0.6 million whole-blood donations a year (the nation's 16.99
million donations gave 28.92 million units in 2023: 1.70 U, i.e. 340 mL, a donation, which
the 200/300/400 mL mix reproduces) and transfuses 1–2 million units. Blood groups are the
Chinese frequencies of ``blood.demo_stock.GROUP_WEIGHTS``; intervals, ages, limits, shelf
lives, the 90-day quarantine, approval tiers and indications are not figures of this module:
they are the services' own (rule profiles, product codes, ``Settings``) and are read from them.

Every RATE below is **unconfirmed**: domain-rules.md gives none. Each is a round figure
inside the range commonly reported (Chinese blood-safety and haemovigilance literature,
NHSBT's Blood Stocks Management Scheme for wastage, ISBT/NHSN for reaction mixes), chosen so
that indicators look like a real province's, and each can be changed per run
(``flask --app app blood synth --rate plasma_reactive_first=0.01``). Synthetic data is for
benchmarks and the dashboard, never for conclusions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

# --- scale (domain-rules.md, "Scale") ------------------------------------------------------------

PLASMA_DONATIONS_PER_YEAR = 1_000_000
WHOLE_BLOOD_DONATIONS_PER_YEAR = 600_000
PLASMA_STATIONS, BLOOD_CENTRES, HOSPITALS = 15, 12, 150  # at scale 1 (the brief's sizes)

# Whole-blood volumes and their shares: 0.2 × 200 + 0.2 × 300 + 0.6 × 400 = 340 mL = 1.70 U,
# the national 28.92 M units ÷ 16.99 M donations.
WHOLE_BLOOD_VOLUMES = ((200, 0.2), (300, 0.2), (400, 0.6))


def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Rates:
    """Unconfirmed rates (see the module): each a probability per event unless named
    otherwise. Change one with ``dataclasses.replace`` or ``with_overrides``."""

    # -- plasma stations --
    # Days a regular plasma donor waits beyond the earliest next donation (day 15): the
    # mean of an exponential; 15 + 20 ≈ 10 donations a year, under the 24 the rule allows.
    plasma_extra_gap_days: float = 20.0
    # A donor stops after a donation (moves away, loses interest): ~30 donations a career.
    plasma_churn: float = 0.033
    # Screening finds a reason not to collect: first visit, later visits.
    plasma_screen_fail_first: float = 0.12
    plasma_screen_fail_repeat: float = 0.035
    # An infectious marker reactive in the laboratory: first donation, later donations
    # (repeat donors are screened already; the stations' rapid tests catch most at the visit).
    plasma_reactive_first: float = 0.004
    plasma_reactive_repeat: float = 0.0004
    # Total protein below 60 g/L or ALT above 25 U/L in the laboratory (unit destroyed).
    plasma_out_of_range: float = 0.012
    # A donor's reaction to the donation (vasovagal, citrate, haematoma).
    plasma_donor_reaction: float = 0.003
    # -- blood centres --
    # Whole-blood donors who come back (after the 6-month interval), and the mean of an
    # exponential number of days beyond it.
    whole_blood_return: float = 0.45
    whole_blood_extra_gap_days: float = 150.0
    # Prospective whole-blood donors deferred at screening (registered, not collected).
    whole_blood_screen_fail: float = 0.08
    # Apheresis platelet donations per whole-blood donation, and their donors' mean extra
    # days beyond the 14-day interval.
    platelet_share: float = 0.08
    platelet_extra_gap_days: float = 21.0
    platelet_churn: float = 0.05
    # A donor's reaction to a whole-blood or platelet donation.
    whole_blood_donor_reaction: float = 0.005
    # A whole-blood donation split with cryoprecipitate (frozen plasma + cryo, 400 mL only).
    cryo_split: float = 0.2
    # Laboratory: each infectious marker reactive, for a first-time donor (repeat donors:
    # times ``repeat_donor_marker_factor``), and ALT above its limit.
    marker_reactive: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"hbsag": 0.004, "anti_hcv": 0.002, "anti_hiv": 0.001, "syphilis": 0.004, "nat": 0.0004}
        )
    )
    other_marker_reactive: float = 0.001  # a marker a deployment adds that is not listed
    repeat_donor_marker_factor: float = 0.3
    alt_above_limit: float = 0.008
    # -- units: per component (red_cells, platelets, plasma, cryo) --
    # Mean hours a unit stays at the centre once released, and at the hospital once received.
    centre_hold_hours: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 120, "platelets": 18, "plasma": 480, "cryo": 480}
        )
    )
    hospital_hold_hours: Mapping[str, float] = field(
        default_factory=lambda: _frozen({"red_cells": 36, "platelets": 8, "plasma": 24, "cryo": 24})
    )
    # Wastage (NHSBT's scheme reports hospital red-cell wastage of ~2 % of issues; platelets
    # far more, their shelf life being 5 days).
    expire_at_centre: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 0.01, "platelets": 0.06, "plasma": 0.003, "cryo": 0.01}
        )
    )
    discard_at_centre: float = 0.003
    expire_at_hospital: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 0.004, "platelets": 0.03, "plasma": 0.001, "cryo": 0.002}
        )
    )
    discard_at_hospital: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 0.004, "platelets": 0.01, "plasma": 0.006, "cryo": 0.004}
        )
    )
    return_to_centre: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 0.01, "platelets": 0.005, "plasma": 0.003, "cryo": 0.003}
        )
    )
    restock_after_return: float = 0.7
    temperature_excursion: float = 0.001
    # -- clinical use --
    # A red-cell (plasma, cryo) unit goes to a patient who already had one within hours.
    same_patient: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"red_cells": 0.55, "platelets": 0.1, "plasma": 0.6, "cryo": 0.7}
        )
    )
    emergency: float = 0.02
    rhd_positive_emergency: float = 0.001  # RhD+ red cells to an RhD− patient, reported
    patient_group_unknown: float = 0.002  # group O red cells before the patient is typed
    platelets_abo_non_identical: float = 0.12
    ordering_doctor_missing: float = 0.01
    indication_missing: float = 0.02
    red_cells_hb_high: float = 0.08  # pre-transfusion Hb above 100 g/L
    pre_value_missing: float = 0.01
    platelets_count_high: float = 0.1
    plasma_coagulation_normal: float = 0.2  # plasma is over-used in many hospitals
    department_head_signed: float = 0.85  # when the patient's volume requires it
    medical_department_signed: float = 0.8
    outcome_recorded: float = 0.75
    red_cells_ineffective: float = 0.08
    flags_reviewed_after_days: int = 10
    # Adverse reactions per transfusion (reported rates in Chinese hospitals 0.1–0.5 %).
    adverse_reaction: float = 0.002


def with_overrides(rates: Rates, pairs: Iterable[str]) -> Rates:
    """``name=value`` pairs (``marker_reactive.hbsag=0.01`` for one entry of a mapping),
    checked: an unknown name or a value that is not a number raises ValueError."""
    changes: dict[str, object] = {}
    names = {f.name for f in dataclasses.fields(Rates)}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name, key = name.strip().partition(".")[::2]
        if not sep or name not in names:
            raise ValueError(f"unknown rate {pair!r}; known: {', '.join(sorted(names))}")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{pair!r}: not a number") from None
        current = changes.get(name, getattr(rates, name))
        if isinstance(current, Mapping):
            if key not in current:
                raise ValueError(f"{pair!r}: {name} has {', '.join(sorted(current))}")
            changes[name] = _frozen({**current, key: value})
        elif key:
            raise ValueError(f"{pair!r}: {name} is a single figure")
        else:
            changes[name] = int(value) if isinstance(current, int) else value
    for name, value in changes.items():
        limit = 1 if not name.endswith(("_days", "_hours")) else 10_000
        if (
            not isinstance(value, Mapping)
            and name != "flags_reviewed_after_days"
            and not 0 <= value <= limit
        ):
            raise ValueError(f"{name}={value}: out of range")
    return dataclasses.replace(rates, **changes)


# --- the calendar --------------------------------------------------------------------------------

# 春节 (the first day of the lunar year), Gregorian dates. Years outside the table fall back to
# 5 February (the festival moves between 21 January and 20 February).
SPRING_FESTIVAL = {
    2010: (2, 14), 2011: (2, 3), 2012: (1, 23), 2013: (2, 10), 2014: (1, 31), 2015: (2, 19),
    2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12),
    2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
    2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31),
    2034: (2, 19), 2035: (2, 8), 2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24),
    2040: (2, 12),
}  # fmt: skip


def spring_festival(year: int) -> date:
    month, day = SPRING_FESTIVAL.get(year, (2, 5))
    return date(year, month, day)


# Days around the festival (offset from its first day) and the share of ordinary activity:
# people travel home, stations and donation sites close, elective surgery stops.
_FESTIVAL = ((-10, -4, 0.8), (-3, -1, 0.4), (0, 6, 0.15), (7, 14, 0.7))
# Monday first. Plasma: the chance a due donor comes that day (stations open all week,
# quieter on Sundays). Whole blood: street sites are busiest at weekends.
PLASMA_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.6)
WHOLE_BLOOD_WEEKDAY = (0.85, 0.85, 0.9, 0.9, 1.0, 1.3, 1.2)


def festival_factor(day: date) -> float:
    for year in (day.year, day.year + 1):
        offset = (day - spring_festival(year)).days
        for low, high, factor in _FESTIVAL:
            if low <= offset <= high:
                return factor
    return 1.0


def _season(day: date, *, whole_blood: bool) -> float:
    """Summer (students away, heat) lowers whole blood; National Day week raises it and
    empties rural plasma stations for a few days."""
    if whole_blood and (day.month, day.day) >= (7, 10) and day.month <= 8:
        return 0.85
    if day.month == 10 and day.day <= 7:
        return 1.1 if whole_blood else 0.8
    return 1.0


class Calendar:
    """Daily factors of activity, cached per day."""

    def __init__(self) -> None:
        self._plasma: dict[date, float] = {}
        self._whole_blood: dict[date, float] = {}
        self._year_mean: dict[int, float] = {}

    def plasma_acceptance(self, day: date) -> float:
        """The chance a plasma donor due that day comes (else the next day is tried)."""
        found = self._plasma.get(day)
        if found is None:
            found = self._plasma[day] = (
                PLASMA_WEEKDAY[day.weekday()]
                * festival_factor(day)
                * _season(day, whole_blood=False)
            )
        return found

    def whole_blood(self, day: date) -> float:
        """Donations that day relative to the year's mean day (the year's factors average 1)."""
        found = self._whole_blood.get(day)
        if found is None:
            mean = self._year_mean.get(day.year)
            if mean is None:
                days = [date(day.year, 1, 1) + timedelta(n) for n in range(365)]
                mean = self._year_mean[day.year] = sum(map(self._raw, days)) / len(days)
            found = self._whole_blood[day] = self._raw(day) / mean
        return found

    @staticmethod
    def _raw(day: date) -> float:
        return (
            WHOLE_BLOOD_WEEKDAY[day.weekday()]
            * festival_factor(day)
            * _season(day, whole_blood=True)
        )
