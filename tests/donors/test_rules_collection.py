"""Collection limits: by donor weight, in grams or millilitres, with or without the
anticoagulant; a collection over the limit is refused.

Pure tests: no app, no database fixtures.
"""

from __future__ import annotations

import pytest

from blood.donors.rules import (
    CN_PLASMA,
    CN_WHOLE_BLOOD,
    EU,
    PLASMA_DENSITY_G_PER_ML,
    US_FDA_PLASMA,
    WHOLE_BLOOD_DENSITY_G_PER_ML,
    CollectionLimit,
    Reason,
    check_collection_amount,
    collection_limit,
    decide,
)
from tests.donors.rules_cases import GOOD, MAN, NO_HISTORY, ON, PLT, lb, screen

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
