"""The effect of a transfusion: Hb rise per unit of red cells, platelets' corrected count
increment (CCI = (post − pre) × BSA ÷ platelets given ×10¹¹), and when each is ineffective."""

from __future__ import annotations

import pytest

from blood.clinical import rules

P = rules.CN_CLINICAL


@pytest.mark.parametrize(
    "post, units, rise, ineffective",
    [(75, 2, 5.0, False), (70, 2, 2.5, False), (69, 2, 2.0, True), (68, 2, 1.5, True)],
)
def test_red_cells_rising_less_than_2_5_g_l_per_unit_are_ineffective(
    post, units, rise, ineffective
):
    effect = rules.red_cell_effect(P, pre_hb=65, post_hb=post, units=units)
    assert effect.increment == rise and effect.ineffective is ineffective
    assert (effect.finding is not None) is ineffective


def test_red_cells_without_a_pre_value_are_not_judged():
    effect = rules.red_cell_effect(P, pre_hb=None, post_hb=80, units=2)
    assert effect.ineffective is None and effect.basis == "no_pre_value"


def test_cci_is_the_increment_times_bsa_over_the_dose():
    effect = rules.platelet_effect(
        P, pre_count=10, post_count=40, bsa_m2=1.7, dose_e11=2.5, hours_after_end=1
    )
    assert effect.increment == 30 and effect.cci == pytest.approx(30 * 1.7 / 2.5)


@pytest.mark.parametrize(
    "post, hours, ineffective",
    [
        (21.03, 1.0, False),  # CCI 7.5 at 1 h: not below
        (21.0, 1.0, True),  # CCI 7.48 at 1 h
        (21.0, 1.01, False),  # after the early hour the late figure (4.5) applies
        (16.5, 20, True),  # CCI 4.42 at 20 h
        (16.7, 20, False),  # CCI 4.56
    ],
)
def test_cci_below_7_5_at_one_hour_or_4_5_later_is_ineffective(post, hours, ineffective):
    effect = rules.platelet_effect(
        P, pre_count=10, post_count=post, bsa_m2=1.7, dose_e11=2.5, hours_after_end=hours
    )
    assert effect.ineffective is ineffective


@pytest.mark.parametrize(
    "bsa, dose, basis", [(None, 2.5, "no_bsa"), (1.7, None, "no_dose"), (1.7, 0, "no_dose")]
)
def test_platelets_without_bsa_or_dose_get_an_increment_but_no_judgement(bsa, dose, basis):
    effect = rules.platelet_effect(
        P, pre_count=10, post_count=40, bsa_m2=bsa, dose_e11=dose, hours_after_end=1
    )
    assert effect.increment == 30 and effect.cci is None
    assert effect.ineffective is None and effect.basis == basis


def test_coagulation_is_recorded_not_judged():
    effect = rules.coagulation_effect(pre=2.6, post=1.4)
    assert effect.increment == pytest.approx(-1.2) and effect.ineffective is None
