"""A deployment's overrides of rule figures (RULE_PROFILE_OVERRIDES): intervals included,
applied to the organisation's profile, and checked when the app starts (a bad key fails
loudly, naming it)."""

from __future__ import annotations

from datetime import date

import pytest

from blood import create_app
from blood.accounts.models import Organisation
from blood.config import ConfigurationError
from blood.db import get_db
from blood.donors import rules
from blood.donors import service as donors
from tests.conftest import TEST_CONFIG
from tests.donors.rules_cases import GOOD, MAN, P, W, donations


def test_interval_override_from_configuration_lengthens_whole_blood_to_plasma():
    stricter = rules.apply_overrides(
        rules.CN_PLASMA, {"intervals": {"whole_blood>plasma": {"months": 6}}}
    )
    assert stricter.intervals[(W, P)] == rules.Interval(months=6)
    assert stricter.intervals[(P, P)] == rules.CN_PLASMA.intervals[(P, P)]  # merged, not replaced
    history = donations(date(2026, 5, 20), kind=W)
    assert rules.decide(rules.CN_PLASMA, MAN, GOOD, history, date(2026, 11, 16)).eligible
    assert not rules.decide(stricter, MAN, GOOD, history, date(2026, 11, 16)).eligible


def test_overrides_spell_figures_as_configuration_does():
    changed = rules.apply_overrides(
        rules.CN_PLASMA,
        {"max_alt_u_l": 40, "min_weight_kg": {"men": 52, "women": 47}, "max_age": 55},
    )
    assert changed.max_alt_u_l == 40 and changed.min_weight_kg == rules.PerSex(52, 47)


@pytest.mark.parametrize(
    "overrides, named",
    [
        ({"intervals": {"whole_blod>plasma": {"months": 6}}}, "whole_blod"),
        ({"intervals": {"whole_blood-plasma": {"months": 6}}}, "whole_blood-plasma"),
        ({"intervals": {"whole_blood>plasma": {"weeks": 6}}}, "weeks"),
        ({"intervals": {"whole_blood>plasma": {"months": 1.5}}}, "1.5"),
        ({"intervals": {"plasma>whole_blood": {"days": 28}}}, "does not collect"),
        ({"max_alt": 40}, "max_alt"),
        ({"max_alt_u_l": "40"}, "'40'"),
        ({"min_weight_kg": {"men": 50}}, "women"),
    ],
)
def test_bad_overrides_fail_loudly_naming_the_mistake(overrides, named):
    with pytest.raises(ValueError) as refused:
        rules.apply_overrides(rules.CN_PLASMA, overrides)
    assert named in str(refused.value)


def _app(base_app, overrides):
    return create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": base_app.config["DATABASE_URL"],
            "RULE_PROFILE_OVERRIDES": overrides,
        }
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"cn-plasm": {"max_alt_u_l": 40}},
        {"cn-plasma": {"intervals": {"whole_blood>plasm": {"months": 6}}}},
    ],
)
def test_rule_profile_overrides_are_checked_when_the_app_starts(base_app, overrides):
    with pytest.raises(ConfigurationError, match="RULE_PROFILE_OVERRIDES"):
        _app(base_app, overrides)


def test_rule_profile_overrides_reach_the_organisations_profile(base_app):
    app = _app(base_app, {"cn-plasma": {"intervals": {"whole_blood>plasma": {"months": 6}}}})
    station = Organisation(code="S", name_zh="站", name_en="S", kind="plasma_station", path="/")
    with app.app_context():
        session = get_db(app).sessionmaker()
        try:
            profile = donors.profile_for(session, station)
        finally:
            session.close()
        get_db(app).engine.dispose()
    assert profile.intervals[(W, P)] == rules.Interval(months=6)
