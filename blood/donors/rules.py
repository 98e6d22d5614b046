"""Donor eligibility as pure data and functions: no Flask, no database, no translation.

The caller gathers the facts (who the donor is, today's screening, every past donation and
deferral at any station) and `decide` applies one jurisdiction's `Profile` to them. Profiles are
data, so a deployment overrides a figure with `dataclasses.replace(profile, max_alt_u_l=40)`
instead of editing code. Every failed rule is reported as a `Reason` with a stable code and the
figures for the message; turning codes into words is the web layer's job.

Figures come from /work/shared/domain-rules.md. Each figure that is not confirmed by the cited
source is marked "unconfirmed" where it is defined, and is configurable like any other.

Conventions used throughout:
- Dates are calendar days. A decision looks back from `on`: donations dated after `on` (when a
  past date is re-evaluated) are ignored.
- An interval is "the earliest next donation is previous date + interval".
- A rolling window of N days ending on `on` holds the donations less than N days old.
- Physical amounts are compared at 0.1 resolution (scales read to 0.1 g / 0.1 kg), which also
  keeps float noise from refusing a collection that is exactly at its limit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

# --- constants -----------------------------------------------------------------------------------

KG_PER_LB = 0.45359237  # exact, by the international yard and pound agreement (1959)

# Densities turn a collection's weight on the scale into a volume. Unconfirmed: typical
# literature values, configurable per profile (`Profile.density_g_per_ml`).
PLASMA_DENSITY_G_PER_ML = 1.027
WHOLE_BLOOD_DENSITY_G_PER_ML = 1.05

# Question code -> the answer that defers the donor. Unknown question codes are ignored and an
# unanswered question defers nobody: the form, not this engine, makes answers mandatory.
QUESTIONNAIRE: dict[str, bool] = {
    "feels_well": False,
    "recent_illness": True,
    "new_medication": True,
    "tattoo_or_piercing_12m": True,
    "pregnant_or_recent_birth": True,
    "high_risk_behaviour": True,
}

# The rapid tests a station runs before collection; a reactive result of any test (listed or
# not) is a reason. Recording the resulting permanent deferral is the service's job.
RAPID_TESTS: tuple[str, ...] = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")

SEXES = ("M", "F")

# Every code a `Reason` can carry, for translation catalogues and API documentation.
REASON_CODES: tuple[str, ...] = (
    "deferred_permanently",  # {"deferral_code"}
    "deferred_until",  # {"ends_on", "deferral_code"}
    "too_young",  # {"minimum", "actual"}
    "too_old",  # {"maximum", "actual"}
    "measurement_missing",  # {"measurement"}
    "weight_too_low",  # {"minimum", "actual"}
    "systolic_out_of_range",  # {"minimum", "maximum", "minimum_inclusive", ..., "actual"}
    "diastolic_out_of_range",  # same facts as systolic
    "pulse_out_of_range",  # same facts as systolic
    "pulse_pressure_too_low",  # {"minimum", "actual"}
    "temperature_too_high",  # {"maximum", "actual"}
    "protein_too_low",  # {"minimum", "actual"}
    "alt_too_high",  # {"maximum", "actual"}
    "hb_too_low",  # {"minimum", "actual"}
    "rapid_test_reactive",  # {"test"}
    "questionnaire",  # {"question"}
    "interval",  # {"previous", "previous_kind", "earliest"}
    "too_many_in_year",  # {"maximum", "count", "window_days", "earliest"}
    "too_many_in_week",  # same facts as too_many_in_year
    "collection_over_limit",  # {"limit", "unit", "actual"}
)

# Reasons that lapse with time or depend on the donation history; the others are re-measured
# at the next visit.
TIMED_REASON_CODES: frozenset[str] = frozenset(
    {"deferred_until", "too_young", "interval", "too_many_in_year", "too_many_in_week"}
)


# --- the facts the caller gathers ----------------------------------------------------------------


class DonationKind(StrEnum):
    PLASMA = "plasma"
    WHOLE_BLOOD = "whole_blood"
    PLATELETS = "platelets"


@dataclass(frozen=True)
class DonorFacts:
    sex: str  # "M" or "F"
    birth_date: date

    def __post_init__(self) -> None:
        # Thresholds differ by sex; an unknown sex would silently pick the wrong one.
        if self.sex not in SEXES:
            raise ValueError(f"sex must be one of {SEXES}, not {self.sex!r}")


@dataclass(frozen=True)
class Screening:
    """Today's measurements; None means "not measured"."""

    weight_kg: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    temperature_c: float | None = None
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None
    hb_g_l: float | None = None
    rapid_tests: Mapping[str, bool] = field(default_factory=dict)  # test code -> reactive?
    questionnaire: Mapping[str, bool] = field(default_factory=dict)  # question code -> answer


MEASUREMENTS: tuple[str, ...] = tuple(
    f.name for f in fields(Screening) if f.name not in ("rapid_tests", "questionnaire")
)


@dataclass(frozen=True)
class PastDonation:
    on: date
    kind: DonationKind
    adverse_reaction: bool = False


@dataclass(frozen=True)
class DeferralFact:
    permanent: bool
    ends_on: date | None  # temporary deferral: the donor may donate again FROM this date
    reason_code: str

    def __post_init__(self) -> None:
        # A temporary deferral without an end would otherwise be read as lapsed.
        if not self.permanent and self.ends_on is None:
            raise ValueError("a temporary deferral needs ends_on")


@dataclass(frozen=True)
class History:
    """Every donation and deferral of this donor, at any station."""

    donations: tuple[PastDonation, ...] = ()
    deferrals: tuple[DeferralFact, ...] = ()


# --- the answer ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    code: str  # one of REASON_CODES
    facts: Mapping[str, object]  # the figures for the message


@dataclass(frozen=True)
class CollectionLimit:
    amount: float
    unit: str  # "g" or "mL"
    includes_anticoagulant: bool


@dataclass(frozen=True)
class Decision:
    eligible: bool
    reasons: tuple[Reason, ...]  # every rule that failed, not just the first
    next_eligible_on: date | None  # None: never again (permanent deferral, too old)
    collection_limit: CollectionLimit | None  # only when eligible and the weight is known


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
    # ">= 14 days counted from the day after the donation": day 15 is the earliest repeat.
    intervals=MappingProxyType({(_P, _P): Interval(days=15)}),
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
    intervals=MappingProxyType({(_P, _P): Interval(days=2)}),  # at least 2 days apart
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
    intervals=MappingProxyType({(_P, _P): Interval(days=14)}),  # unconfirmed; configurable
    frequency_limits=(),
    collection_bands=(CollectionBand(0, 650),),  # unconfirmed: 650 mL, anticoagulant excluded
    collection_unit="mL",
    collection_includes_anticoagulant=False,
    density_g_per_ml=PLASMA_DENSITY_G_PER_ML,  # unconfirmed
)

PROFILES: dict[str, Profile] = {p.code: p for p in (CN_PLASMA, CN_WHOLE_BLOOD, US_FDA_PLASMA, EU)}


def get_profile(code: str) -> Profile:
    """The profile named `code`; a typo in configuration must fail loudly, naming the choices."""
    try:
        return PROFILES[code]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown eligibility profile {code!r}; known: {known}") from None


# --- age -----------------------------------------------------------------------------------------


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`; a 29 February birthday counts from 1 March in common years."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def birthday(birth_date: date, years: int) -> date:
    """The day the donor turns `years` old (1 March for a 29 February birth in a common year)."""
    year = birth_date.year + years
    if (birth_date.month, birth_date.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


# --- the rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Case:
    """Everything one decision looks at."""

    profile: Profile
    donor: DonorFacts
    screening: Screening
    history: History
    on: date
    kind: DonationKind

    @cached_property
    def past(self) -> tuple[PastDonation, ...]:
        """Donations up to and including `on`, oldest first."""
        return tuple(sorted((d for d in self.history.donations if d.on <= self.on), key=_day))

    @cached_property
    def max_age(self) -> int | None:
        """The upper age for this donor: extended for an established donor without reactions."""
        p = self.profile
        if p.max_age_established is None:
            return p.max_age
        earlier = any(d.on < self.on and d.kind in p.established_after for d in self.past)
        reacted = any(d.adverse_reaction for d in self.past)
        return p.max_age_established if earlier and not reacted else p.max_age


@dataclass(frozen=True)
class _Finding:
    reason: Reason
    clears_on: date | None  # the first day it no longer applies; None = never


def _day(donation: PastDonation) -> date:
    return donation.on


def _shown(value: float) -> float:
    """A threshold as a message shows it: to 0.1, without a needless ".0"."""
    rounded = round(value, 1)
    return int(rounded) if float(rounded).is_integer() else rounded


def _visit(case: _Case, code: str, **facts: object) -> _Finding:
    """A finding that is measured again at the next visit, tomorrow at the earliest."""
    return _Finding(Reason(code, facts), case.on + timedelta(days=1))


def _deferrals(case: _Case) -> Iterator[_Finding]:
    for deferral in case.history.deferrals:
        if deferral.permanent:
            yield _Finding(
                Reason("deferred_permanently", {"deferral_code": deferral.reason_code}), None
            )
        elif deferral.ends_on is not None and case.on < deferral.ends_on:
            facts = {"ends_on": deferral.ends_on, "deferral_code": deferral.reason_code}
            yield _Finding(Reason("deferred_until", facts), deferral.ends_on)


def _age(case: _Case) -> Iterator[_Finding]:
    p, age = case.profile, age_on(case.donor.birth_date, case.on)
    if age < p.min_age:
        facts = {"minimum": p.min_age, "actual": age}
        yield _Finding(Reason("too_young", facts), birthday(case.donor.birth_date, p.min_age))
    if case.max_age is not None and age > case.max_age:
        yield _Finding(Reason("too_old", {"maximum": case.max_age, "actual": age}), None)


def _missing(case: _Case) -> Iterator[_Finding]:
    for name in case.profile.required:
        if getattr(case.screening, name) is None:
            yield _visit(case, "measurement_missing", measurement=name)


def _vitals(case: _Case) -> Iterator[_Finding]:
    p, s = case.profile, case.screening
    if s.weight_kg is not None and s.weight_kg < (
        minimum := p.min_weight_kg.for_sex(case.donor.sex)
    ):
        # 110 lb is 49.8951607 kg: shown to the scale's 0.1 kg, compared exactly.
        yield _visit(case, "weight_too_low", minimum=_shown(minimum), actual=s.weight_kg)
    for code, value, accepted in (
        ("systolic_out_of_range", s.systolic, p.systolic_range),
        ("diastolic_out_of_range", s.diastolic, p.diastolic_range),
        ("pulse_out_of_range", s.pulse, p.pulse_range),
    ):
        if value is not None and not accepted.contains(value):
            yield _visit(case, code, **accepted.facts(value))
    if p.min_pulse_pressure is not None and s.systolic is not None and s.diastolic is not None:
        pressure = s.systolic - s.diastolic
        if pressure < p.min_pulse_pressure:
            yield _visit(
                case, "pulse_pressure_too_low", minimum=p.min_pulse_pressure, actual=pressure
            )
    if (
        p.max_temperature_c is not None
        and s.temperature_c is not None
        and s.temperature_c > p.max_temperature_c
    ):
        yield _visit(
            case, "temperature_too_high", maximum=p.max_temperature_c, actual=s.temperature_c
        )


def _laboratory(case: _Case) -> Iterator[_Finding]:
    p, s = case.profile, case.screening
    protein = s.total_protein_g_l
    if (
        p.min_total_protein_g_l is not None
        and protein is not None
        and protein < p.min_total_protein_g_l
    ):
        yield _visit(case, "protein_too_low", minimum=p.min_total_protein_g_l, actual=protein)
    if p.max_alt_u_l is not None and s.alt_u_l is not None and s.alt_u_l > p.max_alt_u_l:
        yield _visit(case, "alt_too_high", maximum=p.max_alt_u_l, actual=s.alt_u_l)
    if p.min_hb_g_l is not None and s.hb_g_l is not None:
        minimum = p.min_hb_g_l.for_sex(case.donor.sex)
        if s.hb_g_l < minimum:
            yield _visit(case, "hb_too_low", minimum=minimum, actual=s.hb_g_l)


def _rapid_tests(case: _Case) -> Iterator[_Finding]:
    results = case.screening.rapid_tests
    extra = sorted(code for code in results if code not in RAPID_TESTS)
    for code in (*RAPID_TESTS, *extra):
        if results.get(code):
            yield _visit(case, "rapid_test_reactive", test=code)


def _questionnaire(case: _Case) -> Iterator[_Finding]:
    answers = case.screening.questionnaire
    for code, deferring in QUESTIONNAIRE.items():
        if code in answers and answers[code] == deferring:
            yield _visit(case, "questionnaire", question=code)


def _interval(case: _Case) -> Iterator[_Finding]:
    """One reason, for the previous donation that keeps the donor waiting longest."""
    binding: tuple[PastDonation, date] | None = None
    for previous in case.past:
        gap = case.profile.intervals.get((previous.kind, case.kind))
        if gap is None:
            continue
        earliest = gap.after(previous.on)
        if case.on < earliest and (binding is None or earliest > binding[1]):
            binding = (previous, earliest)
    if binding is not None:
        previous, earliest = binding
        facts = {"previous": previous.on, "previous_kind": previous.kind, "earliest": earliest}
        yield _Finding(Reason("interval", facts), earliest)


def _frequency(case: _Case) -> Iterator[_Finding]:
    for limit in case.profile.frequency_limits:
        if case.kind not in limit.kinds:
            continue
        window = sorted(
            (
                d.on
                for d in case.past
                if d.kind in limit.kinds and (case.on - d.on).days < limit.window_days
            ),
            reverse=True,
        )
        if len(window) >= limit.maximum:
            # Today is possible once only maximum - 1 of them remain in the window.
            earliest = window[limit.maximum - 1] + timedelta(days=limit.window_days)
            facts = {
                "maximum": limit.maximum,
                "count": len(window),
                "window_days": limit.window_days,
                "earliest": earliest,
            }
            yield _Finding(Reason(limit.reason_code, facts), earliest)


_RULES = (
    _deferrals,
    _age,
    _missing,
    _vitals,
    _laboratory,
    _rapid_tests,
    _questionnaire,
    _interval,
    _frequency,
)


def decide(
    profile: Profile,
    donor: DonorFacts,
    screening: Screening,
    history: History,
    on: date,
    kind: DonationKind | None = None,
) -> Decision:
    """Apply every rule of `profile` to the facts; the caller gathers them, nothing is fetched."""
    if isinstance(on, datetime):
        raise TypeError("on must be a date, not a datetime")  # date arithmetic would drift
    kind = profile.default_kind if kind is None else kind
    if kind not in profile.kinds:
        raise ValueError(f"profile {profile.code} does not collect {kind}")
    case = _Case(profile, donor, screening, history, on, kind)
    findings = [finding for rule in _RULES for finding in rule(case)]
    reasons = tuple(f.reason for f in findings)
    if not findings:
        limit = (
            collection_limit(profile, screening.weight_kg) if kind == profile.default_kind else None
        )
        return Decision(True, (), on, limit)
    return Decision(False, reasons, _next_eligible_on(case, findings), None)


def _next_eligible_on(case: _Case, findings: list[_Finding]) -> date | None:
    """The first day every finding has lapsed, unless one never lapses or age runs out first."""
    clears = [f.clears_on for f in findings]
    if any(day is None for day in clears):
        return None
    first = max(day for day in clears if day is not None)
    if case.max_age is not None and age_on(case.donor.birth_date, first) > case.max_age:
        return None
    return first


# --- collection limits ---------------------------------------------------------------------------


def collection_limit(profile: Profile, weight_kg: float | None) -> CollectionLimit | None:
    """The most that may be collected today (default kind); None if unknown or not allowed."""
    if weight_kg is None:
        return None
    amount: float | None = None
    for band in profile.collection_bands:
        if weight_kg >= band.min_weight_kg:
            amount = band.amount
    if amount is None:
        return None
    return CollectionLimit(
        amount, profile.collection_unit, profile.collection_includes_anticoagulant
    )


def check_collection_amount(
    profile: Profile, weight_kg: float | None, total_weight_g: float, anticoagulant_ml: float
) -> Reason | None:
    """Check a finished collection against the limit; None means within it.

    `total_weight_g` is the scale's net weight of the product, anticoagulant included, and
    `anticoagulant_ml` the anticoagulant in it (0 accepted). Volumes use the profile's density.
    A collection over the limit is refused, never truncated: that is the caller's decision.
    A donor below the lowest weight band may not give anything (the limit is reported as 0).
    """
    if weight_kg is None or weight_kg <= 0:
        raise ValueError("the donor's weight is needed to check a collection")
    if total_weight_g <= 0 or anticoagulant_ml < 0:
        raise ValueError("the collection must weigh something and anticoagulant cannot be negative")
    if anticoagulant_ml >= total_weight_g:  # anticoagulant weighs about 1 g/mL
        raise ValueError("the anticoagulant cannot make up the whole collection")
    density = profile.density_g_per_ml
    includes = profile.collection_includes_anticoagulant
    if profile.collection_unit == "g":
        actual = total_weight_g if includes else total_weight_g - anticoagulant_ml
    else:
        volume_ml = total_weight_g / density
        actual = volume_ml if includes else volume_ml - anticoagulant_ml
    rounded = round(actual, 1)
    limit = collection_limit(profile, weight_kg)
    allowed = 0 if limit is None else limit.amount
    if rounded > allowed:
        facts = {"limit": allowed, "unit": profile.collection_unit, "actual": rounded}
        return Reason("collection_over_limit", facts)
    return None
