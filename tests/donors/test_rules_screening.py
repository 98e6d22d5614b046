"""Today's screening at its edges: weight, blood pressure, pulse, temperature, protein, ALT,
haemoglobin, missing measurements, rapid tests and the questionnaire.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from blood.donors.rules import (
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    QUESTIONNAIRE,
    RAPID_TESTS,
    US_FDA_PLASMA,
    Reason,
    Screening,
    decide,
)
from tests.donors.rules_cases import GOOD, MAN, NO_HISTORY, ON, WOMAN, codes, lb, reason, screen

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
