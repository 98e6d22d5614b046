"""The engine's profiles: registered under their codes, overridden with `replace`, validated.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

import dataclasses

import pytest

from blood.donors.rules import (
    CN_PLASMA,
    PROFILES,
    REASON_CODES,
    TIMED_REASON_CODES,
    Decision,
    PerSex,
    Profile,
    Reason,
    collection_limit,
    decide,
    get_profile,
)
from tests.donors.rules_cases import ALL_PROFILES, GOOD, MAN, NO_HISTORY, ON, W, screen

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
