"""The blood centre's figures are configuration, read and checked when the app starts."""

from __future__ import annotations

import pytest

from blood.settings import Settings


def test_blood_centre_figures_have_defaults_and_can_be_configured():
    default = Settings.from_config({"PII_KEY": "k"})
    assert default.whole_blood_volume_tolerance == 0.10
    assert default.collection_max_ml == 600
    assert default.component_volume_ratio == 1.4
    assert default.blood_lab_markers == ("alt", "hbsag", "anti_hcv", "anti_hiv", "syphilis", "nat")
    assert default.blood_alt_max_u_l == 50
    configured = Settings.from_config(
        {
            "PII_KEY": "k",
            "WHOLE_BLOOD_VOLUME_TOLERANCE": 0.05,
            "COMPONENT_VOLUME_RATIO": "1.3",
            "BLOOD_LAB_MARKERS": "HBsAg, anti_HIV, nat",  # as an environment variable gives it
            "BLOOD_ALT_MAX_U_L": 40,
        }
    )
    assert configured.whole_blood_volume_tolerance == 0.05
    assert configured.component_volume_ratio == 1.3
    assert configured.blood_lab_markers == ("hbsag", "anti_hiv", "nat")
    assert configured.blood_alt_max_u_l == 40


@pytest.mark.parametrize(
    "figures",
    [
        {"WHOLE_BLOOD_VOLUME_TOLERANCE": 0.25},  # 200 + 25 % would overlap 300 - 25 %
        {"COMPONENT_VOLUME_RATIO": 0.9},
        {"BLOOD_LAB_MARKERS": ["hbsag", "anti-hiv"]},
        {"BLOOD_ALT_MAX_U_L": 0},
        {"COLLECTION_MAX_ML": 420},  # below 400 mL + 10 %
    ],
)
def test_a_mistyped_figure_fails_at_start_up(figures):
    with pytest.raises(ValueError):
        Settings.from_config({"PII_KEY": "k", **figures})
