"""Intervals between donations and frequency limits at their edges, then properties.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blood.donors.rules import (
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    US_FDA_PLASMA,
    DonationKind,
    DonorFacts,
    History,
    Interval,
    Reason,
    add_months,
    decide,
)
from tests.donors.rules_cases import GOOD, MAN, ON, PLT, P, W, codes, dates, donations, reason

# --- intervals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("days_after, eligible", [(0, False), (14, False), (15, True)])
def test_cn_plasma_interval_counts_from_the_day_after_so_day_15_is_the_earliest(
    days_after, eligible
):
    last = date(2026, 11, 1)
    decision = decide(CN_PLASMA, MAN, GOOD, donations(last), last + timedelta(days_after))
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (
            Reason(
                "interval", {"previous": last, "previous_kind": P, "earliest": date(2026, 11, 16)}
            ),
        )
        assert decision.next_eligible_on == date(2026, 11, 16)


@pytest.mark.parametrize("days_after, eligible", [(13, False), (14, True)])
def test_eu_plasma_interval_is_14_days(days_after, eligible):
    last = date(2026, 11, 1)
    assert decide(EU, MAN, GOOD, donations(last), last + timedelta(days_after)).eligible is eligible


@pytest.mark.parametrize(
    "previous, previous_on, kind, on, eligible",
    [
        (W, date(2026, 5, 10), W, date(2026, 11, 9), False),  # whole -> whole: 6 months
        (W, date(2026, 5, 10), W, date(2026, 11, 10), True),
        (W, date(2025, 8, 31), W, date(2026, 2, 27), False),  # clamped to 28 Feb
        (W, date(2025, 8, 31), W, date(2026, 2, 28), True),
        (W, date(2023, 8, 31), W, date(2024, 2, 28), False),  # leap year: 29 Feb
        (W, date(2023, 8, 31), W, date(2024, 2, 29), True),
        (PLT, date(2026, 11, 1), PLT, date(2026, 11, 14), False),  # platelets -> platelets: 14 d
        (PLT, date(2026, 11, 1), PLT, date(2026, 11, 15), True),
        (PLT, date(2026, 11, 1), W, date(2026, 11, 28), False),  # platelets -> whole: 28 days
        (PLT, date(2026, 11, 1), W, date(2026, 11, 29), True),
        (W, date(2026, 11, 30), PLT, date(2027, 2, 27), False),  # whole -> platelets: 3 months
        (W, date(2026, 11, 30), PLT, date(2027, 2, 28), True),  # 30 Nov + 3 months, clamped
    ],
)
def test_cn_whole_blood_intervals_between_kinds(previous, previous_on, kind, on, eligible):
    history = donations(previous_on, kind=previous)
    decision = decide(CN_WHOLE_BLOOD, MAN, GOOD, history, on, kind=kind)
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["interval"]
        assert decision.next_eligible_on == on + timedelta(days=1)


@pytest.mark.parametrize(
    "history, on, previous, previous_kind, earliest",
    [
        (  # the older whole-blood donation keeps the donor waiting longest
            donations(date(2026, 1, 10), kind=W).donations
            + donations(date(2026, 6, 1), kind=PLT).donations,
            date(2026, 6, 20),
            date(2026, 1, 10),
            W,
            date(2026, 7, 10),
        ),
        (  # the more recent whole-blood donation keeps the donor waiting longest
            donations(date(2026, 5, 1), kind=PLT).donations
            + donations(date(2026, 5, 20), kind=W).donations,
            date(2026, 5, 25),
            date(2026, 5, 20),
            W,
            date(2026, 11, 20),
        ),
    ],
)
def test_the_longest_wait_of_several_previous_donations_is_the_one_reported(
    history, on, previous, previous_kind, earliest
):
    decision = decide(CN_WHOLE_BLOOD, MAN, GOOD, History(donations=history), on, kind=W)
    facts = {"previous": previous, "previous_kind": previous_kind, "earliest": earliest}
    assert decision.reasons == (Reason("interval", facts),)
    assert decision.next_eligible_on == earliest


# --- across kinds: plasma and whole blood see each other ---------------------------------------


@pytest.mark.parametrize(
    "previous, previous_on, on, eligible",
    [
        (W, date(2026, 11, 16), date(2026, 11, 16), False),  # whole blood this morning
        (W, date(2026, 11, 1), date(2026, 11, 16), False),  # day 15 after whole blood
        (W, date(2026, 8, 17), date(2026, 11, 16), False),  # 3 months after: day before
        (W, date(2026, 8, 16), date(2026, 11, 16), True),  # whole blood -> plasma: 3 months
        (PLT, date(2026, 11, 2), date(2026, 11, 16), False),  # platelets -> plasma: day 15
        (PLT, date(2026, 11, 1), date(2026, 11, 16), True),
    ],
)
def test_cross_type_interval_whole_blood_and_platelets_before_plasma(
    previous, previous_on, on, eligible
):
    history = donations(previous_on, kind=previous)  # at a blood centre
    decision = decide(CN_PLASMA, MAN, GOOD, history, on)
    assert decision.eligible is eligible
    if not eligible:
        [found] = decision.reasons
        assert found.code == "interval" and found.facts["previous_kind"] == previous


@pytest.mark.parametrize(
    "kind, previous_on, on, eligible",
    [
        (W, date(2026, 11, 16), date(2026, 11, 16), False),  # 580 g of plasma an hour ago
        (W, date(2026, 11, 1), date(2026, 11, 28), False),  # plasma -> whole blood: 28 days
        (W, date(2026, 11, 1), date(2026, 11, 29), True),
        (PLT, date(2026, 11, 1), date(2026, 11, 15), False),  # plasma -> platelets: day 15
        (PLT, date(2026, 11, 1), date(2026, 11, 16), True),
    ],
)
def test_cross_type_interval_plasma_before_whole_blood_and_platelets(
    kind, previous_on, on, eligible
):
    history = donations(previous_on, kind=P)  # at a plasma station
    decision = decide(CN_WHOLE_BLOOD, MAN, GOOD, history, on, kind=kind)
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["interval"]


@pytest.mark.parametrize("profile", [US_FDA_PLASMA, EU], ids=lambda p: p.code)
def test_cross_type_interval_other_plasma_profiles_see_whole_blood(profile):
    history = donations(ON - timedelta(days=14), kind=W)
    decision = decide(profile, MAN, GOOD, history, ON)
    assert codes(decision) == ["interval"]


@pytest.mark.parametrize(
    "profile", [CN_PLASMA, CN_WHOLE_BLOOD, US_FDA_PLASMA, EU], ids=lambda p: p.code
)
def test_cross_type_interval_every_profile_has_one_from_every_kind(profile):
    for kind in profile.kinds:
        for previous in DonationKind:
            assert (previous, kind) in profile.intervals, (profile.code, previous, kind)


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


def test_an_interval_is_days_or_months_and_positive():
    for bad in ({}, {"days": 1, "months": 1}, {"days": -1}):
        with pytest.raises(ValueError):
            Interval(**bad)


# --- frequency -----------------------------------------------------------------------------------


def _every_15_days(oldest: date, count: int, kind: DonationKind = P) -> History:
    return donations(*(oldest + timedelta(days=15 * i) for i in range(count)), kind=kind)


def test_cn_plasma_25th_donation_within_365_days_is_refused():
    oldest = ON - timedelta(days=364)
    decision = decide(CN_PLASMA, MAN, GOOD, _every_15_days(oldest, 24), ON)
    assert decision.reasons == (
        Reason(
            "too_many_in_year",
            {"maximum": 24, "count": 24, "window_days": 365, "earliest": ON + timedelta(days=1)},
        ),
    )
    assert decision.next_eligible_on == oldest + timedelta(days=365) == ON + timedelta(days=1)
    assert decide(
        CN_PLASMA, MAN, GOOD, _every_15_days(oldest, 24), decision.next_eligible_on
    ).eligible


def test_cn_plasma_donation_365_days_old_has_left_the_window():
    oldest = ON - timedelta(days=365)
    assert decide(CN_PLASMA, MAN, GOOD, _every_15_days(oldest, 24), ON).eligible


def test_cn_plasma_24th_donation_within_365_days_is_allowed():
    oldest = ON - timedelta(days=364)
    assert decide(CN_PLASMA, MAN, GOOD, _every_15_days(oldest, 23), ON).eligible


def test_cn_whole_blood_platelets_are_limited_to_24_a_year():
    oldest = ON - timedelta(days=364)
    history = _every_15_days(oldest, 24, kind=PLT)
    decision = decide(CN_WHOLE_BLOOD, MAN, GOOD, history, ON, kind=PLT)
    assert codes(decision) == ["too_many_in_year"]
    assert decision.next_eligible_on == oldest + timedelta(days=365)
    later = decide(CN_WHOLE_BLOOD, MAN, GOOD, history, oldest + timedelta(days=365), kind=PLT)
    assert later.eligible


@pytest.mark.parametrize("days_after, eligible", [(0, False), (1, False), (2, True)])
def test_us_plasma_donations_are_at_least_2_days_apart(days_after, eligible):
    last = date(2026, 11, 2)
    decision = decide(US_FDA_PLASMA, MAN, GOOD, donations(last), last + timedelta(days_after))
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["interval"]
        assert decision.next_eligible_on == date(2026, 11, 4)


@pytest.mark.parametrize(
    "second, day, eligible",
    [
        (2, 4, False),
        (2, 6, False),
        (2, 7, True),
        (3, 6, False),
        (3, 7, True),
        (5, 7, True),
    ],
)
def test_us_plasma_at_most_2_donations_in_any_7_days(second, day, eligible):
    d = date(2026, 11, 2)
    history = donations(d, d + timedelta(days=second))
    decision = decide(US_FDA_PLASMA, MAN, GOOD, history, d + timedelta(days=day))
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["too_many_in_week"]
        assert decision.next_eligible_on == d + timedelta(days=7)


def test_an_over_full_window_waits_until_only_maximum_minus_one_remain():
    # Imported history can break the rule; the donor waits until enough donations age out.
    d = date(2026, 11, 2)
    history = donations(d, d + timedelta(days=2), d + timedelta(days=4))
    decision = decide(US_FDA_PLASMA, MAN, GOOD, history, d + timedelta(days=6))
    assert codes(decision) == ["too_many_in_week"]
    assert reason(decision, "too_many_in_week").facts["count"] == 3
    assert decision.next_eligible_on == d + timedelta(days=9)
    assert not decide(US_FDA_PLASMA, MAN, GOOD, history, d + timedelta(days=8)).eligible
    assert decide(US_FDA_PLASMA, MAN, GOOD, history, d + timedelta(days=9)).eligible


def test_donations_after_the_decision_date_are_ignored():
    history = donations(ON + timedelta(days=3))
    assert decide(CN_PLASMA, MAN, GOOD, history, ON).eligible


# --- properties ----------------------------------------------------------------------------------


@given(last=dates, gap=st.integers(min_value=0, max_value=400))
def test_property_cn_plasma_interval_reason_iff_less_than_15_days(last: date, gap: int):
    on = last + timedelta(days=gap)
    donor = DonorFacts("F", date(1980, 1, 1))  # 35 to 56; established after the donation
    decision = decide(CN_PLASMA, donor, GOOD, donations(last), on)
    assert ("interval" in codes(decision)) is (gap < 15)
    if gap < 15:
        assert codes(decision) == ["interval"]
        assert decision.next_eligible_on == last + timedelta(days=15)
        assert "interval" in codes(
            decide(
                CN_PLASMA, donor, GOOD, donations(last), decision.next_eligible_on - timedelta(1)
            )
        )
    else:
        assert decision.next_eligible_on == on
    assert "interval" not in codes(
        decide(CN_PLASMA, donor, GOOD, donations(last), decision.next_eligible_on)
    )


@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)), months=st.integers(0, 240)
)
def test_property_add_months_keeps_the_day_or_clamps_to_the_month_end(day: date, months: int):
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day == day.day or (result.day < day.day and (result + timedelta(1)).day == 1)


@given(
    step=st.integers(min_value=15, max_value=20),
    count=st.integers(min_value=18, max_value=30),
    gap=st.integers(min_value=15, max_value=60),
)
def test_property_cn_plasma_year_limit_counts_donations_under_365_days_old(step, count, gap):
    days_back = [gap + step * i for i in range(count)]
    history = donations(*(ON - timedelta(days=n) for n in days_back))
    decision = decide(CN_PLASMA, DonorFacts("M", date(1980, 1, 1)), GOOD, history, ON)
    in_window = sorted(n for n in days_back if n < 365)
    assert ("too_many_in_year" in codes(decision)) is (len(in_window) >= 24)
    if len(in_window) >= 24:
        # The 24th most recent must reach 365 days of age.
        assert decision.next_eligible_on == ON + timedelta(days=365 - in_window[23])
    else:
        assert decision.eligible
