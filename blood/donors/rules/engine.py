"""The engine: `decide` applies one profile's rules to the facts; collection limits; age."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

from blood.donors.rules.facts import (
    QUESTIONNAIRE,
    RAPID_TESTS,
    CollectionLimit,
    Decision,
    DonationKind,
    DonorFacts,
    History,
    PastDonation,
    Reason,
    Screening,
)
from blood.donors.rules.profiles import Profile

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


def check_age(profile: Profile, donor: DonorFacts, history: History, on: date) -> Decision:
    """The age rule alone (the same rule `decide` applies), for registration and check-in:
    a new donor is checked with an empty history, a registered one with the whole history
    (an established donor's extended upper age). `next_eligible_on` is the first day the age
    allows (the minimum-age birthday), None when it never will."""
    if isinstance(on, datetime):
        raise TypeError("on must be a date, not a datetime")
    case = _Case(profile, donor, Screening(), history, on, profile.default_kind)
    findings = list(_age(case))
    if not findings:
        return Decision(True, (), on, None)
    return Decision(
        False, tuple(f.reason for f in findings), _next_eligible_on(case, findings), None
    )


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
