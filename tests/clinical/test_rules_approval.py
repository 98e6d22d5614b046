"""Approval tiers by the patient's whole-blood volume in 24 hours (医疗机构临床用血管理办法
Art. 21), and how red cells are counted."""

from __future__ import annotations

import pytest

from blood.clinical import rules

P = rules.CN_CLINICAL


def needed(counted, earlier=0, signed=(), emergency=False):
    return rules.approval(
        P, counted=counted, earlier_ml=earlier, signed=signed, emergency=emergency
    )


@pytest.mark.parametrize(
    "total, tiers",
    [
        (799, ()),
        (800, ("department_head",)),
        (1599, ("department_head",)),
        (1600, ("department_head", "medical_department")),
    ],
)
def test_approval_tiers_at_800_and_1600_ml(total, tiers):
    assert rules.required_tiers(P, total) == tiers


def test_under_800_ml_the_ordering_doctors_request_suffices():
    result = needed(400, earlier=399)
    assert result.total_ml == 799 and result.required == () and result.findings == ()


def test_800_ml_in_the_window_without_the_department_head_is_flagged_not_refused():
    result = needed(400, earlier=400)
    [flag] = result.findings
    assert flag.code == "approval_missing" and not flag.refuses
    assert flag.facts["missing"] == ["department_head"] and flag.facts["total_ml"] == 800


def test_800_ml_with_the_department_head_signed_is_not_flagged():
    assert needed(400, earlier=400, signed={"department_head"}).findings == ()


def test_1600_ml_needs_the_department_head_and_the_medical_department():
    [flag] = needed(400, earlier=1200, signed={"department_head"}).findings
    assert flag.facts["missing"] == ["medical_department"]
    assert (
        needed(400, earlier=1200, signed={"department_head", "medical_department"}).findings == ()
    )


def test_a_senior_doctor_does_not_stand_for_the_department_head():
    [flag] = needed(800, signed={"senior_doctor"}).findings
    assert flag.facts["missing"] == ["department_head"]


def test_emergencies_are_exempt_from_approval():
    result = needed(400, earlier=1600, emergency=True)
    assert result.findings == () and result.required == ("department_head", "medical_department")


def test_the_emergency_flag_is_raised_for_every_emergency():
    assert [f.code for f in rules.emergency_flag(True, "车祸多发伤")] == ["emergency"]
    assert rules.emergency_flag(False, None) == []


def test_a_missing_ordering_doctor_is_flagged():
    assert [f.code for f in rules.ordering_doctor_flag(False)] == ["ordering_doctor_missing"]
    assert rules.ordering_doctor_flag(True) == []


@pytest.mark.parametrize("source, expected", [(400, 400), (200, 200), (300, 300)])
def test_red_cells_count_for_the_whole_blood_they_were_made_from(source, expected):
    assert rules.counted_ml(source_ml=source, unit_ml=280, ml_per_unit=200) == expected


@pytest.mark.parametrize("unit_ml, expected", [(140, 200), (200, 200), (201, 400), (280, 400)])
def test_without_the_donation_the_bag_volume_rounds_up_to_whole_units(unit_ml, expected):
    assert rules.counted_ml(source_ml=None, unit_ml=unit_ml, ml_per_unit=200) == expected


def test_the_tiers_are_the_profiles_figures():
    wider = rules.Profile(code="local", approval_tiers_ml=(1000, 2000))
    assert rules.required_tiers(wider, 999) == ()
    assert rules.required_tiers(wider, 1000) == ("department_head",)


def test_a_profile_refuses_tiers_that_do_not_rise():
    with pytest.raises(ValueError):
        rules.Profile(code="bad", approval_tiers_ml=(1600, 800))
