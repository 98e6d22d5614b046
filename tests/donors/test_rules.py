"""The eligibility engine at its edges: every boundary as a named table row, then properties.

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
    CN_WHOLE_BLOOD,
    EU,
    KG_PER_LB,
    PLASMA_DENSITY_G_PER_ML,
    PROFILES,
    QUESTIONNAIRE,
    RAPID_TESTS,
    REASON_CODES,
    TIMED_REASON_CODES,
    US_FDA_PLASMA,
    WHOLE_BLOOD_DENSITY_G_PER_ML,
    CollectionLimit,
    Decision,
    DeferralFact,
    DonationKind,
    DonorFacts,
    History,
    Interval,
    PastDonation,
    PerSex,
    Profile,
    Reason,
    Screening,
    add_months,
    age_on,
    birthday,
    check_collection_amount,
    collection_limit,
    decide,
    get_profile,
)

P, W, PLT = DonationKind.PLASMA, DonationKind.WHOLE_BLOOD, DonationKind.PLATELETS
ON = date(2026, 11, 16)
MAN = DonorFacts("M", date(1990, 5, 17))
WOMAN = DonorFacts("F", date(1992, 3, 3))
NO_HISTORY = History()
GOOD = Screening(
    weight_kg=70,
    systolic=120,
    diastolic=80,
    pulse=72,
    temperature_c=36.6,
    total_protein_g_l=70,
    alt_u_l=10,
    hb_g_l=140,
    rapid_tests=dict.fromkeys(RAPID_TESTS, False),
    questionnaire={code: not deferring for code, deferring in QUESTIONNAIRE.items()},
)
ALL_PROFILES = [CN_PLASMA, CN_WHOLE_BLOOD, US_FDA_PLASMA, EU]


def screen(**changes: object) -> Screening:
    return dataclasses.replace(GOOD, **changes)


def codes(decision: Decision) -> list[str]:
    return [reason.code for reason in decision.reasons]


def reason(decision: Decision, code: str) -> Reason:
    (found,) = [r for r in decision.reasons if r.code == code]
    return found


def donations(*days: date, kind: DonationKind = P, reaction: bool = False) -> History:
    return History(donations=tuple(PastDonation(d, kind, reaction) for d in days))


def lb(pounds: float) -> float:
    return pounds * KG_PER_LB


# --- profiles ------------------------------------------------------------------------------------


def test_profiles_are_registered_under_their_codes():
    assert sorted(PROFILES) == ["cn-plasma", "cn-whole-blood", "eu", "us-fda-plasma"]
    assert all(get_profile(code).code == code for code in PROFILES)


def test_unknown_profile_is_refused_naming_the_known_codes():
    with pytest.raises(ValueError) as error:
        get_profile("cn-plasm")
    assert all(code in str(error.value) for code in PROFILES)


def test_a_deployment_overrides_a_figure_with_replace():
    lenient = dataclasses.replace(CN_PLASMA, max_alt_u_l=40)
    assert decide(lenient, MAN, screen(alt_u_l=30), NO_HISTORY, ON).eligible
    assert not decide(CN_PLASMA, MAN, screen(alt_u_l=30), NO_HISTORY, ON).eligible


def test_an_override_is_validated_like_a_profile():
    with pytest.raises(ValueError):
        dataclasses.replace(CN_PLASMA, default_kind=W)
    with pytest.raises(ValueError):
        dataclasses.replace(CN_PLASMA, required_measurements=("weight",))


def test_setting_an_hb_floor_makes_hb_a_required_measurement():
    with_hb = dataclasses.replace(CN_PLASMA, min_hb_g_l=PerSex(120, 115))
    decision = decide(with_hb, MAN, screen(hb_g_l=None), NO_HISTORY, ON)
    assert decision.reasons == (Reason("measurement_missing", {"measurement": "hb_g_l"}),)


def test_a_kind_the_profile_does_not_collect_is_a_caller_error():
    with pytest.raises(ValueError):
        decide(CN_PLASMA, MAN, GOOD, NO_HISTORY, ON, kind=W)


def test_every_reason_code_is_listed():
    assert set(REASON_CODES) >= TIMED_REASON_CODES
    assert len(set(REASON_CODES)) == len(REASON_CODES)


@pytest.mark.parametrize("profile", ALL_PROFILES, ids=lambda p: p.code)
def test_a_perfect_adult_with_no_history_is_eligible_today(profile: Profile):
    decision = decide(profile, MAN, GOOD, NO_HISTORY, ON)
    assert decision == Decision(True, (), ON, collection_limit(profile, GOOD.weight_kg))


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


# --- measurements --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [CN_PLASMA, CN_WHOLE_BLOOD], ids=lambda p: p.code)
@pytest.mark.parametrize(
    "donor, weight, eligible",
    [(MAN, 49.9, False), (MAN, 50, True), (WOMAN, 44.9, False), (WOMAN, 45, True)],
    ids=["man-49.9", "man-50", "woman-44.9", "woman-45"],
)
def test_cn_minimum_weight_is_50_kg_for_men_and_45_for_women(profile, donor, weight, eligible):
    decision = decide(profile, donor, screen(weight_kg=weight), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        minimum = 50 if donor.sex == "M" else 45
        assert decision.reasons == (
            Reason("weight_too_low", {"minimum": minimum, "actual": weight}),
        )


@pytest.mark.parametrize(
    "weight_kg, eligible",
    [(lb(109.9), False), (lb(110), True), (49.9, True), (49.89, False)],
    ids=["109.9lb", "110lb", "49.9kg", "49.89kg"],
)
def test_us_minimum_weight_is_110_lb_for_everyone(weight_kg, eligible):
    for donor in (MAN, WOMAN):
        decision = decide(US_FDA_PLASMA, donor, screen(weight_kg=weight_kg), NO_HISTORY, ON)
        assert decision.eligible is eligible


@pytest.mark.parametrize("weight, eligible", [(49.9, False), (50, True)])
def test_eu_minimum_weight_is_50_kg_for_women_too(weight, eligible):
    assert decide(EU, WOMAN, screen(weight_kg=weight), NO_HISTORY, ON).eligible is eligible


NO_PULSE_PRESSURE = dataclasses.replace(CN_PLASMA, min_pulse_pressure=None)


@pytest.mark.parametrize("systolic, eligible", [(89, False), (90, True), (139, True), (140, False)])
def test_systolic_must_be_at_least_90_and_below_140(systolic, eligible):
    decision = decide(
        NO_PULSE_PRESSURE, MAN, screen(systolic=systolic, diastolic=60), NO_HISTORY, ON
    )
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["systolic_out_of_range"]
        assert reason(decision, "systolic_out_of_range").facts == {
            "minimum": 90,
            "maximum": 140,
            "minimum_inclusive": True,
            "maximum_inclusive": False,
            "actual": systolic,
        }


def test_systolic_89_over_diastolic_60_also_fails_the_pulse_pressure():
    decision = decide(CN_PLASMA, MAN, screen(systolic=89, diastolic=60), NO_HISTORY, ON)
    assert codes(decision) == ["systolic_out_of_range", "pulse_pressure_too_low"]


@pytest.mark.parametrize("diastolic, eligible", [(59, False), (60, True), (89, True), (90, False)])
def test_diastolic_must_be_at_least_60_and_below_90(diastolic, eligible):
    decision = decide(CN_PLASMA, MAN, screen(systolic=120, diastolic=diastolic), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["diastolic_out_of_range"]


@pytest.mark.parametrize("diastolic, eligible", [(81, False), (80, True)])
def test_pulse_pressure_must_be_at_least_30(diastolic, eligible):
    decision = decide(CN_PLASMA, MAN, screen(systolic=110, diastolic=diastolic), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (
            Reason("pulse_pressure_too_low", {"minimum": 30, "actual": 29}),
        )


@pytest.mark.parametrize("pulse, eligible", [(59, False), (60, True), (100, True), (101, False)])
def test_pulse_must_be_60_to_100_inclusive(pulse, eligible):
    decision = decide(CN_PLASMA, MAN, screen(pulse=pulse), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["pulse_out_of_range"]


@pytest.mark.parametrize("temperature, eligible", [(37.5, True), (37.6, False)])
def test_temperature_must_not_exceed_37_5(temperature, eligible):
    decision = decide(CN_PLASMA, MAN, screen(temperature_c=temperature), NO_HISTORY, ON)
    assert decision.eligible is eligible


@pytest.mark.parametrize("profile", [CN_PLASMA, US_FDA_PLASMA, EU], ids=lambda p: p.code)
@pytest.mark.parametrize("protein, eligible", [(59.9, False), (60, True), (None, True)])
def test_total_protein_must_be_at_least_60_when_measured(profile, protein, eligible):
    decision = decide(profile, MAN, screen(total_protein_g_l=protein), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("protein_too_low", {"minimum": 60, "actual": 59.9}),)


def test_cn_whole_blood_has_no_protein_floor():
    assert decide(CN_WHOLE_BLOOD, MAN, screen(total_protein_g_l=40), NO_HISTORY, ON).eligible


@pytest.mark.parametrize("alt, eligible", [(25, True), (25.1, False), (None, True)])
def test_cn_plasma_alt_must_not_exceed_25_when_measured(alt, eligible):
    decision = decide(CN_PLASMA, MAN, screen(alt_u_l=alt), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert decision.reasons == (Reason("alt_too_high", {"maximum": 25, "actual": 25.1}),)


@pytest.mark.parametrize(
    "profile, donor, hb, eligible",
    [
        (CN_WHOLE_BLOOD, MAN, 119, False),
        (CN_WHOLE_BLOOD, MAN, 120, True),
        (CN_WHOLE_BLOOD, WOMAN, 114, False),
        (CN_WHOLE_BLOOD, WOMAN, 115, True),
        (EU, MAN, 134, False),
        (EU, MAN, 135, True),
        (EU, WOMAN, 124, False),
        (EU, WOMAN, 125, True),
        (CN_PLASMA, MAN, 50, True),  # no Hb floor for plasma in China
        (CN_PLASMA, MAN, None, True),
    ],
)
def test_haemoglobin_floor_per_sex_where_the_profile_sets_one(profile, donor, hb, eligible):
    decision = decide(profile, donor, screen(hb_g_l=hb), NO_HISTORY, ON)
    assert decision.eligible is eligible
    if not eligible:
        assert codes(decision) == ["hb_too_low"]


@pytest.mark.parametrize(
    "profile, missing",
    [
        (CN_PLASMA, ["weight_kg", "systolic", "diastolic", "pulse"]),
        (US_FDA_PLASMA, ["weight_kg", "systolic", "diastolic", "pulse"]),
        (CN_WHOLE_BLOOD, ["weight_kg", "systolic", "diastolic", "pulse", "hb_g_l"]),
        (EU, ["weight_kg", "systolic", "diastolic", "pulse", "hb_g_l"]),
    ],
    ids=lambda value: getattr(value, "code", "-"),
)
def test_required_measurements_missing_are_each_reported(profile, missing):
    decision = decide(profile, MAN, Screening(), NO_HISTORY, ON)
    assert decision.reasons == tuple(
        Reason("measurement_missing", {"measurement": name}) for name in missing
    )
    assert decision.next_eligible_on == ON + timedelta(days=1)  # measured again next visit
    assert decision.collection_limit is None


# --- rapid tests and questionnaire ---------------------------------------------------------------


@pytest.mark.parametrize("test", [*RAPID_TESTS, "hiv_p24"])
def test_any_reactive_rapid_test_is_a_reason(test):
    results = {**GOOD.rapid_tests, test: True}
    decision = decide(CN_PLASMA, MAN, screen(rapid_tests=results), NO_HISTORY, ON)
    assert decision.reasons == (Reason("rapid_test_reactive", {"test": test}),)
    assert decision.next_eligible_on == ON + timedelta(days=1)


def test_rapid_tests_not_run_yet_do_not_block():
    assert decide(CN_PLASMA, MAN, screen(rapid_tests={}), NO_HISTORY, ON).eligible


@pytest.mark.parametrize("question, deferring", QUESTIONNAIRE.items())
def test_the_deferring_answer_to_any_question_is_a_reason(question, deferring):
    answers = {**GOOD.questionnaire, question: deferring}
    decision = decide(CN_PLASMA, MAN, screen(questionnaire=answers), NO_HISTORY, ON)
    assert decision.reasons == (Reason("questionnaire", {"question": question}),)


def test_unknown_and_unanswered_questions_are_ignored():
    answers = {"likes_cats": True, "feels_well": True}
    assert decide(CN_PLASMA, MAN, screen(questionnaire=answers), NO_HISTORY, ON).eligible


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


def test_a_kind_pair_without_an_interval_imposes_none():
    history = donations(ON - timedelta(days=1), kind=W)  # whole blood at a blood centre
    assert decide(CN_PLASMA, MAN, GOOD, history, ON).eligible


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


# --- collection limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pounds, amount",
    [
        (109.9, None),
        (110, 625),
        (149, 625),
        (149.9, 625),
        (150, 750),
        (174, 750),
        (174.9, 750),
        (175, 800),
        (300, 800),
    ],
)
def test_us_plasma_volume_by_weight_band(pounds, amount):
    expected = None if amount is None else CollectionLimit(amount, "mL", False)
    assert collection_limit(US_FDA_PLASMA, lb(pounds)) == expected


def test_collection_limit_needs_the_weight():
    assert collection_limit(CN_PLASMA, None) is None


@pytest.mark.parametrize(
    "profile, limit",
    [
        (CN_PLASMA, CollectionLimit(600, "g", True)),
        (CN_WHOLE_BLOOD, CollectionLimit(400, "mL", False)),
        (EU, CollectionLimit(650, "mL", False)),
        (US_FDA_PLASMA, CollectionLimit(750, "mL", False)),
    ],
    ids=lambda value: getattr(value, "code", "-"),
)
def test_an_eligible_decision_carries_todays_collection_limit(profile, limit):
    decision = decide(profile, MAN, screen(weight_kg=lb(160)), NO_HISTORY, ON)
    assert decision.collection_limit == limit


def test_platelets_carry_no_whole_blood_collection_limit():
    decision = decide(CN_WHOLE_BLOOD, MAN, GOOD, NO_HISTORY, ON, kind=PLT)
    assert decision.eligible
    assert decision.collection_limit is None


@pytest.mark.parametrize("total_g, over", [(599.9, False), (600, False), (600.1, True)])
def test_cn_plasma_collects_at_most_600_g_including_anticoagulant(total_g, over):
    found = check_collection_amount(CN_PLASMA, 60, total_g, 70)
    if over:
        assert found == Reason(
            "collection_over_limit", {"limit": 600, "unit": "g", "actual": 600.1}
        )
    else:
        assert found is None


@pytest.mark.parametrize(
    "pounds, plasma_ml, over",
    [
        (149, 625, False),
        (149, 625.1, True),
        (150, 750, False),
        (150, 750.1, True),
        (174, 750.1, True),
        (175, 800, False),
        (175, 800.1, True),
    ],
)
def test_us_plasma_volume_excludes_the_anticoagulant(pounds, plasma_ml, over):
    anticoagulant_ml = 100
    total_g = round((plasma_ml + anticoagulant_ml) * PLASMA_DENSITY_G_PER_ML, 4)
    found = check_collection_amount(US_FDA_PLASMA, lb(pounds), total_g, anticoagulant_ml)
    assert (found is not None) is over
    if over:
        assert found.facts["actual"] == plasma_ml
        assert found.facts["unit"] == "mL"


def test_us_donor_below_110_lb_may_give_nothing():
    found = check_collection_amount(US_FDA_PLASMA, lb(109), 200, 20)
    assert found is not None
    assert found.facts["limit"] == 0


@pytest.mark.parametrize("blood_ml, over", [(400, False), (400.1, True)])
def test_cn_whole_blood_collects_at_most_400_ml(blood_ml, over):
    anticoagulant_ml = 56
    total_g = (blood_ml + anticoagulant_ml) * WHOLE_BLOOD_DENSITY_G_PER_ML
    found = check_collection_amount(CN_WHOLE_BLOOD, 60, total_g, anticoagulant_ml)
    assert (found is not None) is over


@pytest.mark.parametrize("plasma_ml, over", [(650, False), (650.1, True)])
def test_eu_collects_at_most_650_ml_of_plasma(plasma_ml, over):
    total_g = (plasma_ml + 50) * PLASMA_DENSITY_G_PER_ML
    assert (check_collection_amount(EU, 70, total_g, 50) is not None) is over


def test_a_collection_weighed_without_its_anticoagulant_may_report_none():
    assert check_collection_amount(US_FDA_PLASMA, lb(180), 800 * PLASMA_DENSITY_G_PER_ML, 0) is None


def test_us_weight_reason_shows_110_lb_to_the_scale_resolution():
    decision = decide(US_FDA_PLASMA, MAN, screen(weight_kg=49.8), NO_HISTORY, ON)
    assert decision.reasons == (Reason("weight_too_low", {"minimum": 49.9, "actual": 49.8}),)


@pytest.mark.parametrize(
    "weight_kg, total_g, anticoagulant_ml",
    [(60, 0, 50), (60, -1, 50), (60, 500, -5), (None, 500, 50), (60, 50, 50), (60, 50, 500)],
)
def test_impossible_collection_figures_are_refused_loudly(weight_kg, total_g, anticoagulant_ml):
    with pytest.raises(ValueError):
        check_collection_amount(CN_PLASMA, weight_kg, total_g, anticoagulant_ml)


# --- properties ----------------------------------------------------------------------------------

dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
births = st.dates(min_value=date(1950, 1, 1), max_value=date(2015, 12, 31))


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
