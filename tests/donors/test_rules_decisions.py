"""Deferrals and the next eligible date (every failure reported, the latest lapse wins);
then properties over generated histories.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from blood.donors.rules import (
    CN_PLASMA,
    REASON_CODES,
    TIMED_REASON_CODES,
    DeferralFact,
    DonationKind,
    DonorFacts,
    History,
    PastDonation,
    Profile,
    Reason,
    birthday,
    decide,
)
from tests.donors.rules_cases import (
    ALL_PROFILES,
    GOOD,
    MAN,
    NO_HISTORY,
    ON,
    P,
    codes,
    dates,
    donations,
    reason,
    screen,
)

# --- deferrals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ends_after_days, eligible", [(1, False), (0, True), (-1, True)])
def test_a_temporary_deferral_lets_the_donor_give_from_its_end_date(ends_after_days, eligible):
    ends_on = ON + timedelta(days=ends_after_days)
    history = History(deferrals=(DeferralFact(False, ends_on, "cold"),))
    decision = decide(CN_PLASMA, MAN, GOOD, history, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (
            Reason("deferred_until", {"ends_on": ends_on, "deferral_code": "cold"}),
        )
        assert decision.next_eligible_on == ends_on


def test_a_permanent_deferral_has_no_next_date_whatever_else_lapses():
    history = History(
        donations=(PastDonation(ON - timedelta(days=3), P),),
        deferrals=(DeferralFact(True, None, "hiv"), DeferralFact(False, ON + timedelta(9), "flu")),
    )
    decision = decide(CN_PLASMA, MAN, GOOD, history, ON)
    assert codes(decision) == ["deferred_permanently", "deferred_until", "interval"]
    assert reason(decision, "deferred_permanently").facts == {"deferral_code": "hiv"}
    assert decision.next_eligible_on is None


def test_a_temporary_deferral_needs_an_end_date():
    with pytest.raises(ValueError):
        DeferralFact(False, None, "cold")


# --- next eligible date --------------------------------------------------------------------------


def test_several_failures_are_all_reported_and_the_latest_lapse_wins():
    history = History(
        donations=(PastDonation(ON - timedelta(days=5), P),),
        deferrals=(DeferralFact(False, ON + timedelta(days=30), "cold"),),
    )
    bad = screen(
        weight_kg=48.5,
        systolic=150,
        pulse=110,
        rapid_tests={**GOOD.rapid_tests, "anti_hiv": True},
        questionnaire={**GOOD.questionnaire, "recent_illness": True},
    )
    decision = decide(CN_PLASMA, MAN, bad, history, ON)
    assert not decision.eligible
    assert codes(decision) == [
        "deferred_until",
        "weight_too_low",
        "systolic_out_of_range",
        "pulse_out_of_range",
        "rapid_test_reactive",
        "questionnaire",
        "interval",
    ]
    assert reason(decision, "weight_too_low").facts == {"minimum": 50, "actual": 48.5}
    assert decision.next_eligible_on == ON + timedelta(days=30)
    assert decision.collection_limit is None


def test_no_next_date_when_the_wait_runs_past_the_last_birthday():
    donor = DonorFacts("M", date(1970, 11, 10))  # 56 on 2026-11-10
    history = donations(date(2026, 11, 1), reaction=True)  # a reaction keeps the max at 55
    decision = decide(CN_PLASMA, donor, GOOD, history, date(2026, 11, 5))
    assert codes(decision) == ["interval"]
    assert decision.next_eligible_on is None


def test_no_next_date_when_a_measurement_fails_the_day_before_the_last_birthday():
    donor = DonorFacts("M", date(1970, 11, 17))  # 56 tomorrow
    decision = decide(CN_PLASMA, donor, screen(pulse=120), NO_HISTORY, ON)
    assert codes(decision) == ["pulse_out_of_range"]
    assert decision.next_eligible_on is None


# --- properties ----------------------------------------------------------------------------------


@st.composite
def situations(draw: st.DrawFn) -> tuple[Profile, DonorFacts, History, date, DonationKind]:
    """A profile, donor, and history of donations and deferrals up to a decision date.

    Biased towards the edges: donors near their first or last eligible birthday, and regular
    series of donations dense enough to reach the frequency limits.
    """
    profile = draw(st.sampled_from(ALL_PROFILES))
    on = draw(dates)
    kind = draw(st.sampled_from(sorted(profile.kinds)))
    age_days = draw(
        st.one_of(
            st.integers(min_value=0, max_value=90 * 366),
            *(st.integers(min_value=(y - 1) * 365, max_value=y * 366) for y in (18, 56, 61, 66)),
        )
    )
    donor = DonorFacts(draw(st.sampled_from(["M", "F"])), on - timedelta(days=age_days))
    scattered = st.builds(
        PastDonation,
        on=st.integers(min_value=0, max_value=500).map(lambda n: on - timedelta(n)),
        kind=st.sampled_from(list(DonationKind)),
        adverse_reaction=st.booleans(),
    )
    past = draw(st.lists(scattered, max_size=8))
    if draw(st.booleans()):  # a regular series, e.g. plasma every 15 days for a year
        step = draw(st.one_of(st.sampled_from([2, 3, 14, 15]), st.integers(2, 20)))
        first = draw(st.integers(min_value=0, max_value=400))
        count = draw(st.one_of(st.integers(22, 26), st.integers(1, 30)))
        series_kind = draw(st.one_of(st.just(kind), st.sampled_from(list(DonationKind))))
        past += [
            PastDonation(on - timedelta(days=first - step * i), series_kind)
            for i in range(count)
            if first - step * i >= 0
        ]
    deferrals = draw(
        st.lists(
            st.builds(
                DeferralFact,
                permanent=st.just(False),
                ends_on=st.integers(min_value=-100, max_value=400).map(lambda n: on + timedelta(n)),
                reason_code=st.just("temporary"),
            ),
            max_size=2,
        )
    )
    if draw(st.integers(min_value=0, max_value=9)) == 5:  # about one in ten
        deferrals.append(DeferralFact(True, None, "permanent"))
    return profile, donor, History(tuple(past), tuple(deferrals)), on, kind


def _established(profile: Profile, history: History, on: date) -> bool:
    """The established-donor test, restated independently of the engine."""
    past = [d for d in history.donations if d.on <= on]
    earlier = any(d.on < on and d.kind in profile.established_after for d in past)
    return earlier and not any(d.adverse_reaction for d in past)


@given(
    situation=situations(),
    back=st.integers(min_value=0, max_value=500),
    kind=st.sampled_from(list(DonationKind)),
    reaction=st.booleans(),
)
def test_property_adding_a_donation_never_makes_a_donor_eligible(situation, back, kind, reaction):
    profile, donor, history, on, today_kind = situation
    added = dataclasses.replace(
        history, donations=(*history.donations, PastDonation(on - timedelta(back), kind, reaction))
    )
    # The one deliberate exception: a first donation can establish a donor, which raises the
    # upper age (tested above). Outside it, more history can only restrict.
    assume(not (_established(profile, added, on) and not _established(profile, history, on)))
    before = decide(profile, donor, GOOD, history, on, today_kind)
    after = decide(profile, donor, GOOD, added, on, today_kind)
    if not before.eligible:
        assert not after.eligible


@given(situation=situations())
def test_property_next_eligible_on_is_the_first_day_every_timed_reason_has_lapsed(situation):
    profile, donor, history, on, kind = situation
    decision = decide(profile, donor, GOOD, history, on, kind)
    assert set(codes(decision)) <= set(REASON_CODES)
    if decision.eligible:
        assert decision.next_eligible_on == on
        return
    if decision.next_eligible_on is None:
        if not {"deferred_permanently", "too_old"} & set(codes(decision)):
            # Otherwise only a wait that outlasts the donor's last eligible day means "never".
            established = profile.max_age_established and _established(profile, history, on)
            max_age = profile.max_age_established if established else profile.max_age
            assert max_age is not None
            last_day = birthday(donor.birth_date, max_age + 1) - timedelta(days=1)
            assert not decide(profile, donor, GOOD, history, last_day, kind).eligible
        return
    then = decision.next_eligible_on
    assert then > on
    assert decide(profile, donor, GOOD, history, then, kind).eligible
    day_before = decide(profile, donor, GOOD, history, then - timedelta(days=1), kind)
    assert not day_before.eligible
    assert set(codes(day_before)) & TIMED_REASON_CODES
