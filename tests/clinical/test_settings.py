"""The clinical figures are data: Settings carry the cn-clinical profile's figures, a
deployment changes them in its configuration, and a mistyped one stops the start."""

from __future__ import annotations

import dataclasses

import pytest

from blood import create_app, settings
from blood.clinical import rules
from blood.clinical.service import profile_of
from blood.settings import Settings
from tests.conftest import TEST_CONFIG


def test_settings_defaults_are_the_cn_clinical_profiles_figures():
    defaults = Settings(pii_key="x" * 40)
    for field in dataclasses.fields(Settings):
        if field.name.startswith("clinical_"):
            name = field.name.removeprefix("clinical_")
            assert getattr(rules.CN_CLINICAL, name) == getattr(defaults, field.name), name


def test_a_deployments_figures_reach_the_rules(app, session):
    session.info[settings.INFO_KEY] = dataclasses.replace(
        settings.of(session), clinical_approval_tiers_ml=(600, 1200), clinical_ml_per_unit=100
    )
    profile = profile_of(session)
    assert profile.approval_tiers_ml == (600, 1200) and profile.ml_per_unit == 100
    assert rules.required_tiers(profile, 600) == ("department_head",)


def test_configuration_keys_set_the_figures(database_url):
    app = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "CLINICAL_APPROVAL_TIERS_ML": [1000, 2000],
            "CLINICAL_RED_CELLS_MAX_HB_G_L": 90,
            "CLINICAL_CRYO_MAX_FIBRINOGEN_G_L": 1.5,
        }
    )
    figures = app.extensions["blood.settings"]
    assert figures.clinical_approval_tiers_ml == (1000, 2000)
    assert figures.clinical_red_cells_max_hb_g_l == 90
    assert figures.clinical_cryo_max_fibrinogen_g_l == 1.5


@pytest.mark.parametrize(
    "key, value",
    [
        ("CLINICAL_APPROVAL_TIERS_ML", [1600, 800]),
        ("CLINICAL_APPROVAL_TIERS_ML", [800]),
        ("CLINICAL_ML_PER_UNIT", 0),
        ("CLINICAL_OUTCOME_WINDOW_HOURS", 72),
        ("CLINICAL_CCI_MIN_LATE", -1),
    ],
)
def test_a_mistyped_clinical_figure_stops_the_start(database_url, key, value):
    with pytest.raises(ValueError, match="CLINICAL_"):
        create_app({**TEST_CONFIG, "DATABASE_URL": database_url, key: value})
