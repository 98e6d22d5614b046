"""Each jurisdiction's rule set as data (`Profile`), its building blocks, and the four
profiles this deployment knows. A deployment overrides figures with
`overrides.apply_overrides` (from its configuration, ``RULE_PROFILE_OVERRIDES``) or, in code,
with `dataclasses.replace`; both go through `Profile.__post_init__`, so a mistyped figure
fails when the app starts.

Every profile has an interval from every kind of donation to each kind it collects: the
donor's history covers every station and blood centre, and a kind pair without an interval
would let a donor give plasma the day after giving whole blood. Where the cited source gives
no figure for a pair, the figure chosen is marked "unconfirmed" and says why it was chosen.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from blood.donors.rules.facts import (
    KG_PER_LB,
    MEASUREMENTS,
    PLASMA_DENSITY_G_PER_ML,
    WHOLE_BLOOD_DENSITY_G_PER_ML,
    DonationKind,
)

# --- profile building blocks ---------------------------------------------------------------------


@dataclass(frozen=True)
class PerSex:
    """A threshold that differs between men and women."""

    men: float
    women: float

    @classmethod
    def both(cls, value: float) -> PerSex:
        return cls(value, value)

    def for_sex(self, sex: str) -> float:
        return self.men if sex == "M" else self.women


@dataclass(frozen=True)
class Range:
    """An accepted range; each side says whether the bound itself is accepted."""

    low: float
    high: float
    low_inclusive: bool = True
    high_inclusive: bool = True

    def contains(self, value: float) -> bool:
        above = value >= self.low if self.low_inclusive else value > self.low
        below = value <= self.high if self.high_inclusive else value < self.high
        return above and below

    def facts(self, actual: float) -> dict[str, object]:
        return {
            "minimum": self.low,
            "maximum": self.high,
            "minimum_inclusive": self.low_inclusive,
            "maximum_inclusive": self.high_inclusive,
            "actual": actual,
        }


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


@dataclass(frozen=True)
class Interval:
    """The gap between two donations, in days or calendar months."""

    days: int = 0
    months: int = 0

    def __post_init__(self) -> None:
        if self.days < 0 or self.months < 0 or (self.days == 0) == (self.months == 0):
            raise ValueError("an interval is a positive number of days or of months, not both")

    def after(self, previous: date) -> date:
        """The earliest date of the next donation."""
        if self.months:
            return add_months(previous, self.months)
        return previous + timedelta(days=self.days)


@dataclass(frozen=True)
class FrequencyLimit:
    """At most `maximum` donations of `kinds` in any `window_days` consecutive days."""

    kinds: frozenset[DonationKind]  # counted, and checked when today's kind is one of them
    maximum: int
    window_days: int
    reason_code: str  # "too_many_in_year" or "too_many_in_week"

    def __post_init__(self) -> None:
        if self.maximum < 1 or self.window_days < 1:
            raise ValueError("a frequency limit needs maximum >= 1 and window_days >= 1")


@dataclass(frozen=True)
class CollectionBand:
    """From this donor weight up (to the next band), collect at most `amount`."""

    min_weight_kg: float
    amount: float


BASE_MEASUREMENTS: tuple[str, ...] = ("weight_kg", "systolic", "diastolic", "pulse")


@dataclass(frozen=True)
class Profile:
    """One jurisdiction's rule set as data; `dataclasses.replace` makes a deployment override."""

    code: str
    source: str  # the regulation the figures come from
    kinds: frozenset[DonationKind]  # what this profile collects
    default_kind: DonationKind
    min_age: int
    max_age: int | None  # None: no upper age
    max_age_established: int | None  # None: no extension for established donors
    established_after: frozenset[DonationKind]  # an earlier donation of these kinds establishes
    min_weight_kg: PerSex
    systolic_range: Range
    diastolic_range: Range
    pulse_range: Range
    min_pulse_pressure: int | None
    max_temperature_c: float | None
    min_total_protein_g_l: float | None  # checked only when measured
    max_alt_u_l: float | None  # checked only when measured
    min_hb_g_l: PerSex | None  # when set, hb_g_l becomes a required measurement
    intervals: Mapping[tuple[DonationKind, DonationKind], Interval]  # (previous, next) -> gap
    frequency_limits: tuple[FrequencyLimit, ...]
    # Collection limit for the default kind: bands by donor weight, in ascending order.
    collection_bands: tuple[CollectionBand, ...]
    collection_unit: str  # "g" or "mL"
    collection_includes_anticoagulant: bool
    density_g_per_ml: float  # turns the scale's grams into millilitres (unconfirmed figures)
    required_measurements: tuple[str, ...] = BASE_MEASUREMENTS

    def __post_init__(self) -> None:
        # Overrides go through here too, so a mistyped deployment figure fails at start-up.
        if self.default_kind not in self.kinds:
            raise ValueError(f"{self.code}: default_kind {self.default_kind} is not collected")
        unknown = set(self.required_measurements) - set(MEASUREMENTS)
        if unknown:
            raise ValueError(f"{self.code}: unknown measurements {sorted(unknown)}")
        if self.max_age_established is not None and (
            self.max_age is None or self.max_age_established < self.max_age
        ):
            raise ValueError(f"{self.code}: max_age_established must extend max_age")
        weights = [band.min_weight_kg for band in self.collection_bands]
        if weights != sorted(weights):
            raise ValueError(f"{self.code}: collection bands must ascend by weight")
        if self.collection_unit not in ("g", "mL"):
            raise ValueError(f"{self.code}: collection_unit must be 'g' or 'mL'")
        if self.density_g_per_ml <= 0:
            raise ValueError(f"{self.code}: density_g_per_ml must be positive")
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValueError(f"{self.code}: max_age is below min_age")
        self._check_intervals()

    def _check_intervals(self) -> None:
        for key, gap in self.intervals.items():
            if (
                not isinstance(key, tuple)
                or len(key) != 2
                or not all(isinstance(kind, DonationKind) for kind in key)
            ):
                raise ValueError(f"{self.code}: an interval key is (previous kind, next kind)")
            if not isinstance(gap, Interval):
                raise ValueError(f"{self.code}: the interval {_pair(key)} is not an Interval")
            if key[1] not in self.kinds:
                raise ValueError(
                    f"{self.code}: interval {_pair(key)} is for a kind this profile does not "
                    f"collect ({key[1]}); collected: {kind_names(self.kinds)}"
                )
        missing = [
            _pair((previous, kind))
            for kind in sorted(self.kinds)
            for previous in DonationKind
            if (previous, kind) not in self.intervals
        ]
        if missing:
            # The history holds every kind, at every station and blood centre.
            raise ValueError(f"{self.code}: no interval for {', '.join(missing)}")

    @property
    def required(self) -> tuple[str, ...]:
        """The measurements without which no decision is possible (Hb wherever it has a floor)."""
        if self.min_hb_g_l is not None and "hb_g_l" not in self.required_measurements:
            return (*self.required_measurements, "hb_g_l")
        return self.required_measurements


# Shared vital-sign limits, from the cn-plasma table (单采血浆站管理办法, 献血浆者须知 2021).
_SYSTOLIC = Range(90, 140, high_inclusive=False)  # 90 <= systolic < 140 mmHg
_DIASTOLIC = Range(60, 90, high_inclusive=False)  # 60 <= diastolic < 90 mmHg
_PULSE = Range(60, 100)  # 60-100 /min, both inclusive
_PULSE_PRESSURE = 30  # systolic - diastolic >= 30 mmHg
_MAX_TEMPERATURE_C = 37.5  # unconfirmed for every profile: not in the cited tables; configurable

_P, _W, _PLT = DonationKind.PLASMA, DonationKind.WHOLE_BLOOD, DonationKind.PLATELETS

CN_PLASMA = Profile(
    code="cn-plasma",
    source="单采血浆站管理办法 (MoH order 58, 2008, rev. 2015); 献血浆者须知 (NHC, 2021)",
    kinds=frozenset({_P}),
    default_kind=_P,
    min_age=18,
    max_age=55,
    max_age_established=60,  # established donor without past reactions
    established_after=frozenset({_P}),
    min_weight_kg=PerSex(men=50, women=45),
    systolic_range=_SYSTOLIC,
    diastolic_range=_DIASTOLIC,
    pulse_range=_PULSE,
    min_pulse_pressure=_PULSE_PRESSURE,
    max_temperature_c=_MAX_TEMPERATURE_C,
    min_total_protein_g_l=60,
    max_alt_u_l=25,  # unconfirmed: from an older notice, not confirmed for 2021; configurable
    min_hb_g_l=None,
    intervals=MappingProxyType(
        {
            # ">= 14 days counted from the day after the donation": day 15 is the earliest.
            (_P, _P): Interval(days=15),
            # Unconfirmed: the plasma rules give no figure after whole blood. 3 months is
            # GB 18467-2011's whole blood -> apheresis platelets, the nearest case the
            # standards give (an apheresis donation after the red-cell loss of whole blood;
            # red cells and iron, not plasma, are what take months to recover).
            (_W, _P): Interval(months=3),
            # Unconfirmed: both are apheresis donations that take plasma; the longer of the
            # two apheresis intervals (plasma's own 14 days counted from the day after,
            # against platelets' 2 weeks) applies.
            (_PLT, _P): Interval(days=15),
        }
    ),
    frequency_limits=(FrequencyLimit(frozenset({_P}), 24, 365, "too_many_in_year"),),
    collection_bands=(CollectionBand(0, 600),),  # 600 g per donation, anticoagulant included
    collection_unit="g",
    collection_includes_anticoagulant=True,
    density_g_per_ml=PLASMA_DENSITY_G_PER_ML,
)

CN_WHOLE_BLOOD = Profile(
    code="cn-whole-blood",
    source="GB 18467-2011",
    kinds=frozenset({_W, _PLT}),
    default_kind=_W,
    min_age=18,
    max_age=55,
    max_age_established=60,  # repeat donors (earlier whole blood or platelets, no reaction)
    established_after=frozenset({_W, _PLT}),
    min_weight_kg=PerSex(men=50, women=45),
    systolic_range=_SYSTOLIC,
    diastolic_range=_DIASTOLIC,
    pulse_range=_PULSE,
    min_pulse_pressure=_PULSE_PRESSURE,
    max_temperature_c=_MAX_TEMPERATURE_C,
    min_total_protein_g_l=None,
    max_alt_u_l=None,
    min_hb_g_l=PerSex(men=120, women=115),
    # Earliest next = previous + interval; whether GB 18467 counts from the day after (as the
    # plasma rule does) is unconfirmed.
    intervals=MappingProxyType(
        {
            (_W, _W): Interval(months=6),
            (_PLT, _PLT): Interval(days=14),
            (_PLT, _W): Interval(days=28),
            (_W, _PLT): Interval(months=3),
            # Unconfirmed: GB 18467 gives no figure after a plasma donation (plasma is
            # collected at plasma stations, under other rules). 4 weeks is its apheresis
            # platelets -> whole blood, the nearest case: an apheresis donation that took
            # ~600 g of plasma and its proteins, then a whole-blood donation.
            (_P, _W): Interval(days=28),
            # Unconfirmed: apheresis after plasma apheresis; the plasma rule's own interval
            # (14 days counted from the day after: day 15) is the longer of the two.
            (_P, _PLT): Interval(days=15),
        }
    ),
    frequency_limits=(FrequencyLimit(frozenset({_PLT}), 24, 365, "too_many_in_year"),),
    # 200, 300 or 400 mL of whole blood, anticoagulant excluded; the limit is the largest.
    collection_bands=(CollectionBand(0, 400),),
    collection_unit="mL",
    collection_includes_anticoagulant=False,
    density_g_per_ml=WHOLE_BLOOD_DENSITY_G_PER_ML,  # unconfirmed
)

US_FDA_PLASMA = Profile(
    code="us-fda-plasma",
    source="21 CFR 640.63, 640.65",
    kinds=frozenset({_P}),
    default_kind=_P,
    min_age=18,
    max_age=None,  # no upper age in the cited rules
    max_age_established=None,
    established_after=frozenset({_P}),
    min_weight_kg=PerSex.both(110 * KG_PER_LB),  # 110 lb, both sexes
    # Unconfirmed for the US: vital-sign limits borrowed from cn-plasma. FDA's own limits
    # (21 CFR 630.10(f) and its compliance-policy guidance) should be checked; configurable.
    systolic_range=_SYSTOLIC,
    diastolic_range=_DIASTOLIC,
    pulse_range=_PULSE,
    min_pulse_pressure=_PULSE_PRESSURE,
    max_temperature_c=_MAX_TEMPERATURE_C,
    min_total_protein_g_l=60,  # 6.0 g/dL
    max_alt_u_l=None,
    min_hb_g_l=None,
    intervals=MappingProxyType(
        {
            (_P, _P): Interval(days=2),  # at least 2 days apart
            # Unconfirmed: 8 weeks after a unit of whole blood before plasmapheresis, the
            # red-cell loss rule as commonly applied under 21 CFR 630.15; the citation is to
            # be checked.
            (_W, _P): Interval(days=56),
            # Unconfirmed: no figure in the cited rules; the plasma interval (2 days) applies.
            (_PLT, _P): Interval(days=2),
        }
    ),
    frequency_limits=(FrequencyLimit(frozenset({_P}), 2, 7, "too_many_in_week"),),
    # Plasma volume by donor weight, anticoagulant excluded: 110-149 lb 625 mL,
    # 150-174 lb 750 mL, >= 175 lb 800 mL; below 110 lb nothing.
    collection_bands=(
        CollectionBand(110 * KG_PER_LB, 625),
        CollectionBand(150 * KG_PER_LB, 750),
        CollectionBand(175 * KG_PER_LB, 800),
    ),
    collection_unit="mL",
    collection_includes_anticoagulant=False,
    density_g_per_ml=PLASMA_DENSITY_G_PER_ML,  # unconfirmed
)

EU = Profile(
    code="eu",
    source="Directive 2004/33/EC Annex III",
    kinds=frozenset({_P}),
    default_kind=_P,
    min_age=18,
    max_age=65,
    max_age_established=None,
    established_after=frozenset({_P}),
    min_weight_kg=PerSex.both(50),
    # Unconfirmed for the EU: vital-sign limits borrowed from cn-plasma; configurable.
    systolic_range=_SYSTOLIC,
    diastolic_range=_DIASTOLIC,
    pulse_range=_PULSE,
    min_pulse_pressure=_PULSE_PRESSURE,
    max_temperature_c=_MAX_TEMPERATURE_C,
    min_total_protein_g_l=60,
    max_alt_u_l=None,
    min_hb_g_l=PerSex(men=135, women=125),
    intervals=MappingProxyType(
        {
            (_P, _P): Interval(days=14),  # unconfirmed; configurable
            # Unconfirmed: Annex III gives no interval after whole blood; 3 months, as for the
            # cn profiles (red cells and iron recover slowly). The Council of Europe Guide
            # should be checked.
            (_W, _P): Interval(months=3),
            # Unconfirmed: apheresis after apheresis; the plasma interval applies.
            (_PLT, _P): Interval(days=14),
        }
    ),
    frequency_limits=(),
    collection_bands=(CollectionBand(0, 650),),  # unconfirmed: 650 mL, anticoagulant excluded
    collection_unit="mL",
    collection_includes_anticoagulant=False,
    density_g_per_ml=PLASMA_DENSITY_G_PER_ML,  # unconfirmed
)

PROFILES: dict[str, Profile] = {p.code: p for p in (CN_PLASMA, CN_WHOLE_BLOOD, US_FDA_PLASMA, EU)}


def _pair(key: tuple[DonationKind, DonationKind]) -> str:
    return f"{key[0]}>{key[1]}"


def kind_names(kinds: Iterable[DonationKind]) -> str:
    """The kinds as a message lists them: "plasma, whole_blood"."""
    return ", ".join(sorted(str(kind) for kind in kinds))


def get_profile(code: str) -> Profile:
    """The profile named `code`; a typo in configuration must fail loudly, naming the choices."""
    try:
        return PROFILES[code]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown eligibility profile {code!r}; known: {known}") from None
