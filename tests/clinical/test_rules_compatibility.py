"""ABO/RhD compatibility of one unit for one patient (pure rules, every pair)."""

from __future__ import annotations

import pytest

from blood.clinical import rules

GROUPS = ("O", "A", "B", "AB")
# donor cells -> recipients who may receive them
RED_CELLS_TO = {"O": set(GROUPS), "A": {"A", "AB"}, "B": {"B", "AB"}, "AB": {"AB"}}
# donor plasma -> recipients who may receive it
PLASMA_TO = {"AB": set(GROUPS), "A": {"A", "O"}, "B": {"B", "O"}, "O": {"O"}}


def codes(findings):
    return [f.code for f in findings]


def check(component, unit, patient, **options):
    return rules.compatibility(
        component,
        unit_abo=unit[:-1],
        unit_rhd=unit[-1],
        patient_abo=patient[:-1] if patient else None,
        patient_rhd=patient[-1] if patient else None,
        **options,
    )


@pytest.mark.parametrize("donor", GROUPS)
@pytest.mark.parametrize("recipient", GROUPS)
def test_red_cells_follow_the_recipients_antibodies(donor, recipient):
    found = check("red_cells", f"{donor}+", f"{recipient}+")
    if recipient in RED_CELLS_TO[donor]:
        assert found == []
    else:
        assert codes(found) == ["abo_incompatible"] and found[0].refuses


@pytest.mark.parametrize("donor", GROUPS)
@pytest.mark.parametrize("recipient", GROUPS)
def test_plasma_is_the_reverse_of_red_cells(donor, recipient):
    found = check("plasma", f"{donor}+", f"{recipient}+")
    if recipient in PLASMA_TO[donor]:
        assert found == []
    else:
        assert codes(found) == ["abo_incompatible"] and found[0].refuses


@pytest.mark.parametrize("donor", GROUPS)
@pytest.mark.parametrize("recipient", GROUPS)
def test_cryoprecipitate_follows_plasma_but_is_only_flagged(donor, recipient):
    found = check("cryo", f"{donor}+", f"{recipient}+")
    if recipient in PLASMA_TO[donor]:
        assert found == []
    else:
        assert codes(found) == ["cryo_abo_incompatible"] and not found[0].refuses


@pytest.mark.parametrize("donor", GROUPS)
@pytest.mark.parametrize("recipient", GROUPS)
def test_platelets_not_abo_identical_are_accepted_with_a_flag(donor, recipient):
    found = check("platelets", f"{donor}+", f"{recipient}+")
    if donor == recipient:
        assert found == []
    else:
        assert codes(found) == ["platelets_abo_non_identical"] and not found[0].refuses


def test_rhd_positive_red_cells_for_an_rhd_negative_patient_are_refused():
    found = check("red_cells", "O+", "O-")
    assert codes(found) == ["rhd_incompatible"] and found[0].refuses


def test_rhd_positive_red_cells_in_an_emergency_with_a_reason_are_flagged_and_reported():
    found = check("red_cells", "O+", "O-", emergency=True, emergency_reason="大出血，无 RhD 阴性血")
    assert codes(found) == ["rhd_positive_emergency"]
    assert found[0].report and not found[0].refuses
    assert found[0].facts["reason"] == "大出血，无 RhD 阴性血"


@pytest.mark.parametrize("reason", [None, ""])
def test_the_emergency_flag_without_its_reason_does_not_lift_the_rhd_rule(reason):
    found = check("red_cells", "O+", "O-", emergency=True, emergency_reason=reason)
    assert codes(found) == ["rhd_incompatible"]


def test_rhd_negative_red_cells_for_an_rhd_positive_patient_are_fine():
    assert check("red_cells", "A-", "A+") == []


def test_rhd_positive_platelets_for_an_rhd_negative_patient_are_flagged():
    found = check("platelets", "A+", "A-")
    assert codes(found) == ["platelets_rhd_positive_to_negative"] and not found[0].refuses


@pytest.mark.parametrize("component", ["plasma", "cryo"])
def test_rhd_does_not_matter_for_plasma_and_cryoprecipitate(component):
    assert check(component, "AB+", "A-") == []


def test_unknown_patient_group_takes_group_o_red_cells_with_a_flag():
    found = check("red_cells", "O-", None)
    assert codes(found) == ["patient_group_unknown"] and not found[0].refuses


@pytest.mark.parametrize("unit", ["A+", "B+", "AB+"])
def test_unknown_patient_group_refuses_red_cells_other_than_group_o(unit):
    found = check("red_cells", unit, None)
    assert codes(found) == ["group_unknown_not_universal"] and found[0].refuses
    assert found[0].facts["universal"] == "O"


def test_unknown_patient_group_takes_ab_plasma_with_a_flag():
    assert codes(check("plasma", "AB+", None)) == ["patient_group_unknown"]


@pytest.mark.parametrize("unit", ["O+", "A+", "B+"])
def test_unknown_patient_group_refuses_plasma_other_than_ab(unit):
    assert codes(check("plasma", unit, None)) == ["group_unknown_not_universal"]


@pytest.mark.parametrize("component", ["platelets", "cryo"])
def test_unknown_patient_group_is_only_flagged_for_platelets_and_cryoprecipitate(component):
    assert codes(check(component, "A+", None)) == ["patient_group_unknown"]


def test_known_abo_with_unknown_rhd_is_flagged_naming_what_is_unknown():
    found = rules.compatibility(
        "red_cells", unit_abo="A", unit_rhd="+", patient_abo="A", patient_rhd=None
    )
    assert codes(found) == ["patient_group_unknown"]
    assert found[0].facts["unknown"] == "RhD"
