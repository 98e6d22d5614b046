"""Age rules at their edges: the 18th birthday, the upper age and the established-donor
extension, 29 February births; then properties of the age arithmetic.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from blood.donors.rules import (
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    US_FDA_PLASMA,
    DonorFacts,
    History,
    PastDonation,
    Reason,
    age_on,
    birthday,
    decide,
)
from tests.donors.rules_cases import (
    ALL_PROFILES,
    GOOD,
    NO_HISTORY,
    ON,
    PLT,
    P,
    W,
    births,
    codes,
    donations,
)

# --- age -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth, on, age",
    [
        (date(2000, 6, 10), date(2018, 6, 9), 17),
        (date(2000, 6, 10), date(2018, 6, 10), 18),
        (date(2000, 2, 29), date(2018, 2, 28), 17),  # common year: not yet
        (date(2000, 2, 29), date(2018, 3, 1), 18),  # common year: from 1 March
        (date(2000, 2, 29), date(2020, 2, 28), 19),
        (date(2000, 2, 29), date(2020, 2, 29), 20),  # leap year: on the day
        (date(2000, 12, 31), date(2001, 12, 30), 0),
        (date(2000, 12, 31), date(2001, 12, 31), 1),
    ],
)
def test_age_counts_completed_years_and_feb_29_birthdays_from_march_1(birth, on, age):
    assert age_on(birth, on) == age


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=lambda p: p.code)
@pytest.mark.parametrize("on, eligible", [(date(2026, 11, 15), False), (date(2026, 11, 16), True)])
def test_donors_may_start_on_their_18th_birthday_not_the_day_before(profile, on, eligible):
    teen = DonorFacts("M", date(2008, 11, 16))
    decision = decide(profile, teen, GOOD, NO_HISTORY, on)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("too_young", {"minimum": 18, "actual": 17}),)
        assert decision.next_eligible_on == date(2026, 11, 16)


@pytest.mark.parametrize("on, eligible", [(date(2026, 2, 28), False), (date(2026, 3, 1), True)])
def test_a_feb_29_child_turns_18_on_march_1_of_a_common_year(on, eligible):
    leapling = DonorFacts("F", date(2008, 2, 29))
    decision = decide(CN_PLASMA, leapling, GOOD, NO_HISTORY, on)
    assert decision.eligible is eligible
    assert decision.next_eligible_on == date(2026, 3, 1)


@pytest.mark.parametrize(
    "birth, on, eligible",
    [
        (date(1970, 6, 10), date(2026, 6, 9), True),  # 55
        (date(1970, 6, 10), date(2026, 6, 10), False),  # 56th birthday
        (date(1972, 2, 29), date(2028, 2, 28), True),  # 55, leap year
        (date(1972, 2, 29), date(2028, 2, 29), False),  # 56th birthday on the 29th itself
    ],
)
def test_cn_plasma_new_donor_is_too_old_from_the_56th_birthday(birth, on, eligible):
    decision = decide(CN_PLASMA, DonorFacts("M", birth), GOOD, NO_HISTORY, on)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("too_old", {"maximum": 55, "actual": 56}),)
        assert decision.next_eligible_on is None  # no way back


ESTABLISHED_BIRTH = date(1966, 6, 10)


@pytest.mark.parametrize(
    "on, eligible",
    [
        (date(2026, 6, 10), True),  # 60th birthday
        (date(2027, 6, 9), True),  # still 60
        (date(2027, 6, 10), False),  # 61st birthday
    ],
)
def test_cn_plasma_established_donor_without_reactions_continues_to_60(on, eligible):
    history = donations(date(2020, 3, 1))
    decision = decide(CN_PLASMA, DonorFacts("F", ESTABLISHED_BIRTH), GOOD, history, on)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("too_old", {"maximum": 60, "actual": 61}),)
        assert decision.next_eligible_on is None


@pytest.mark.parametrize("on, eligible", [(date(2022, 6, 9), True), (date(2022, 6, 10), False)])
def test_cn_plasma_established_donor_with_a_past_reaction_stops_at_55(on, eligible):
    history = History(
        donations=(
            PastDonation(date(2019, 3, 1), P, adverse_reaction=True),
            PastDonation(date(2020, 3, 1), P),
        )
    )
    decision = decide(CN_PLASMA, DonorFacts("F", ESTABLISHED_BIRTH), GOOD, history, on)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("too_old", {"maximum": 55, "actual": 56}),)


def test_cn_plasma_only_an_earlier_plasma_donation_establishes():
    history = donations(date(2020, 3, 1), kind=W)  # whole blood elsewhere does not count
    decision = decide(CN_PLASMA, DonorFacts("M", ESTABLISHED_BIRTH), GOOD, history, ON)
    assert codes(decision) == ["too_old"]


@pytest.mark.parametrize("earlier", [W, PLT])
@pytest.mark.parametrize("on, eligible", [(date(2027, 6, 9), True), (date(2027, 6, 10), False)])
def test_cn_whole_blood_repeat_donor_continues_to_60(earlier, on, eligible):
    history = donations(date(2020, 3, 1), kind=earlier)
    decision = decide(CN_WHOLE_BLOOD, DonorFacts("M", ESTABLISHED_BIRTH), GOOD, history, on)
    assert decision.eligible is eligible


def test_cn_whole_blood_first_time_donor_is_too_old_from_the_56th_birthday():
    donor = DonorFacts("M", date(1970, 6, 10))
    assert decide(CN_WHOLE_BLOOD, donor, GOOD, NO_HISTORY, date(2026, 6, 9)).eligible
    assert codes(decide(CN_WHOLE_BLOOD, donor, GOOD, NO_HISTORY, date(2026, 6, 10))) == ["too_old"]


def test_established_donor_born_feb_29_turns_61_on_march_1_of_a_common_year():
    donor = DonorFacts("M", date(1964, 2, 29))
    history = donations(date(2020, 3, 1))
    assert decide(CN_PLASMA, donor, GOOD, history, date(2025, 2, 28)).eligible
    assert codes(decide(CN_PLASMA, donor, GOOD, history, date(2025, 3, 1))) == ["too_old"]


@pytest.mark.parametrize("on, eligible", [(date(2032, 6, 9), True), (date(2032, 6, 10), False)])
def test_eu_donors_may_give_until_65(on, eligible):
    decision = decide(EU, DonorFacts("M", ESTABLISHED_BIRTH), GOOD, NO_HISTORY, on)
    assert decision.eligible is eligible


def test_us_plasma_has_no_upper_age():
    assert decide(US_FDA_PLASMA, DonorFacts("F", date(1940, 1, 1)), GOOD, NO_HISTORY, ON).eligible


# --- properties ----------------------------------------------------------------------------------


def _naive_age(birth: date, on: date) -> int:
    """Count the birthdays that have passed, one year at a time."""
    years = 0
    while True:
        year = birth.year + years + 1
        try:
            next_birthday = birth.replace(year=year)
        except ValueError:  # 29 February in a common year
            next_birthday = date(year, 3, 1)
        if next_birthday > on:
            return years
        years += 1


@given(
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    days=st.integers(min_value=0, max_value=120 * 366),
)
def test_property_age_on_agrees_with_counting_birthdays(birth: date, days: int):
    on = birth + timedelta(days=days)
    assume(on.year <= 9999)
    assert age_on(birth, on) == _naive_age(birth, on)


@given(birth=births, years=st.integers(min_value=1, max_value=100))
def test_property_birthday_is_the_first_day_of_the_new_age(birth: date, years: int):
    day = birthday(birth, years)
    assert age_on(birth, day) == years
    assert age_on(birth, day - timedelta(days=1)) == years - 1
