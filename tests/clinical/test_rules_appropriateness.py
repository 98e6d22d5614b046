"""Appropriateness flags (临床输血技术规范): never a refusal, always the figures."""

from __future__ import annotations

import pytest

from blood.clinical import rules

P = rules.CN_CLINICAL


def flags(component, surgical=False, bleeding=False, indication="D62", **pre):
    found = rules.appropriateness(
        P,
        component,
        rules.PreValues(**pre),
        surgical=surgical,
        bleeding=bleeding,
        indication=indication,
    )
    assert not any(f.refuses for f in found)
    return [f.code for f in found]


@pytest.mark.parametrize("hb, flagged", [(60, False), (100, False), (100.1, True), (130, True)])
def test_red_cells_above_100_g_l_haemoglobin_are_flagged(hb, flagged):
    assert flags("red_cells", hb_g_l=hb) == (["red_cells_hb_high"] if flagged else [])


def test_red_cells_without_a_pre_transfusion_haemoglobin_are_flagged():
    assert flags("red_cells") == ["red_cells_no_hb"]


@pytest.mark.parametrize("count, flagged", [(100, False), (100.1, True)])
def test_platelets_for_a_surgical_patient_above_100_are_flagged(count, flagged):
    found = flags("platelets", surgical=True, platelets_e9_l=count)
    assert found == (["platelets_count_high"] if flagged else [])


@pytest.mark.parametrize("count, flagged", [(20, False), (20.1, True), (60, True)])
def test_platelets_for_a_non_surgical_patient_without_bleeding_above_20_are_flagged(count, flagged):
    assert flags("platelets", platelets_e9_l=count) == (["platelets_count_high"] if flagged else [])


@pytest.mark.parametrize("count, flagged", [(60, False), (100, False), (100.1, True)])
def test_a_bleeding_non_surgical_patient_gets_the_surgical_figure(count, flagged):
    found = flags("platelets", bleeding=True, platelets_e9_l=count)
    assert found == (["platelets_count_high"] if flagged else [])


def test_platelets_without_a_count_are_flagged():
    assert flags("platelets") == ["platelets_no_count"]


def test_plasma_without_a_coagulation_value_is_flagged():
    assert flags("plasma", fibrinogen_g_l=0.8) == ["plasma_no_coagulation"]


@pytest.mark.parametrize(
    "values, flagged",
    [
        ({"pt_ratio": 1.5}, True),
        ({"pt_ratio": 1.51}, False),
        ({"aptt_ratio": 1.5}, True),
        ({"aptt_ratio": 1.6}, False),
        ({"inr": 2.0}, True),
        ({"inr": 2.01}, False),
        ({"pt_ratio": 1.2, "inr": 1.8, "aptt_ratio": 1.4}, True),
        ({"pt_ratio": 1.2, "inr": 2.5}, False),
    ],
)
def test_plasma_with_pt_and_aptt_at_most_1_5_and_inr_at_most_2_is_flagged(values, flagged):
    assert flags("plasma", **values) == (["plasma_coagulation_normal"] if flagged else [])


def test_cryoprecipitate_without_fibrinogen_is_flagged_and_without_a_figure_not_judged():
    assert flags("cryo") == ["cryo_no_fibrinogen"]
    assert flags("cryo", fibrinogen_g_l=3.0) == []


@pytest.mark.parametrize("fibrinogen, flagged", [(1.5, False), (1.6, True)])
def test_cryoprecipitate_above_a_deployments_fibrinogen_figure_is_flagged(fibrinogen, flagged):
    local = rules.Profile(code="local", cryo_max_fibrinogen_g_l=1.5)
    found = rules.appropriateness(
        local,
        "cryo",
        rules.PreValues(fibrinogen_g_l=fibrinogen),
        surgical=False,
        bleeding=False,
        indication="D68",
    )
    assert [f.code for f in found] == (["cryo_fibrinogen_high"] if flagged else [])


@pytest.mark.parametrize("indication", [None, ""])
def test_no_indication_code_is_flagged(indication):
    assert flags("red_cells", hb_g_l=65, indication=indication) == ["no_indication"]


def test_the_figures_are_the_profiles():
    strict = rules.Profile(code="local", red_cells_max_hb_g_l=90)
    found = rules.appropriateness(
        strict,
        "red_cells",
        rules.PreValues(hb_g_l=95),
        surgical=True,
        bleeding=False,
        indication="D62",
    )
    assert [f.code for f in found] == ["red_cells_hb_high"]
    assert found[0].facts == {"hb": 95, "maximum": 90}
