"""POST /api/v1/transfusions: the one way a unit becomes transfused. Each refusal with its
code, flags kept with the record, scoping, and nothing stored in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from blood.audit import AuditEvent
from blood.clinical.models import Transfusion, TransfusionApproval
from blood.stock.models import Unit, UnitMovement
from tests.clinical.helpers import now, payload

URL = "/api/v1/transfusions"


def post(client, headers, body):
    return client.post(URL, headers=headers, json=body)


def flag_codes(answer):
    return [f["code"] for f in answer["flags"]]


def test_a_transfusion_is_recorded_and_the_unit_becomes_transfused(
    client, session, his, unit_in_stock
):
    unit = unit_in_stock()
    answer = post(client, his, payload(unit))
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["unit"]["din"] == unit.din and body["hospital"] == "H-HZ"
    assert body["flags"] == [] and body["review"]["status"] is None
    assert body["counted_ml"] == 400 and body["window_total_ml"] == 400
    session.expire_all()
    assert session.get(Unit, unit.id).state == "transfused"
    moves = session.exec(select(UnitMovement).where(UnitMovement.unit_id == unit.id)).all()
    assert [m.action for m in moves] == ["transfuse"]


def test_the_patient_number_and_staff_ids_are_never_stored_or_logged_in_clear(
    client, session, his, unit_in_stock
):
    unit = unit_in_stock()
    body = payload(
        unit,
        patient_record_number="ZY20260451",
        ordering_doctor="DOC-7777",
        approvals=[{"tier": "senior_doctor", "staff_id": "SEN-8888"}],
    )
    answer = post(client, his, body)
    assert answer.status_code == 201
    assert answer.json["patient"]["record_number"] == "*******451"
    assert answer.json["ordering_doctor"] == "*****77"  # DOC7777: separators dropped
    dumped = " ".join(
        str(row)
        for table in ("clinical_transfusion", "clinical_transfusion_approval", "audit_log")
        for row in session.execute(sa.text(f"SELECT * FROM {table}")).all()
    )
    for secret in ("ZY20260451", "DOC7777", "DOC-7777", "SEN8888", "SEN-8888"):
        assert secret not in dumped
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "transfusion.record")).one()
    assert event.changes["patient_key"][1] == "***"


def test_another_hospitals_unit_is_404(client, headers, unit_in_stock):
    unit = unit_in_stock(hospital="H-WZ")
    answer = post(client, headers("H-HZ"), payload(unit))
    assert answer.status_code == 404 and answer.json["error"] == "not_found"


def test_an_unknown_unit_is_404_and_a_wrong_check_character_422(client, his, unit_in_stock):
    unit = unit_in_stock()
    missing = post(client, his, payload(unit, product_code="E0002"))
    assert missing.status_code == 404
    wrong = unit.din + ("0" if unit.check_character != "0" else "1")
    bad = post(client, his, payload(unit, din=wrong))
    assert bad.status_code == 422 and "din" in bad.json["errors"]["json"]


@pytest.mark.parametrize(
    "component, unit_group, patient_group",
    [("red_cells", "A+", "O+"), ("red_cells", "AB+", "B+"), ("plasma", "O+", "A+")],
)
def test_abo_incompatible_red_cells_or_plasma_are_refused(
    client, session, his, unit_in_stock, component, unit_group, patient_group
):
    unit = unit_in_stock(component=component, abo=unit_group[:-1], rhd=unit_group[-1])
    answer = post(
        client, his, payload(unit, patient_abo=patient_group[:-1], patient_rhd=patient_group[-1])
    )
    assert answer.status_code == 422 and answer.json["error"] == "abo_incompatible"
    assert answer.json["facts"]["unit_group"] == unit_group
    assert "ABO incompatible" in answer.json["message"]
    session.expire_all()
    assert session.get(Unit, unit.id).state == "received"
    assert session.exec(select(Transfusion)).all() == []


def test_rhd_positive_red_cells_to_an_rhd_negative_patient_are_refused(client, his, unit_in_stock):
    unit = unit_in_stock(abo="O", rhd="+")
    answer = post(client, his, payload(unit, patient_abo="O", patient_rhd="-"))
    assert answer.status_code == 422 and answer.json["error"] == "rhd_incompatible"


def test_an_emergency_with_its_reason_records_rhd_positive_red_cells_flagged_and_reported(
    client, his, unit_in_stock
):
    unit = unit_in_stock(abo="O", rhd="+")
    answer = post(
        client,
        his,
        payload(
            unit,
            patient_abo="O",
            patient_rhd="-",
            emergency=True,
            emergency_reason="失血性休克，RhD 阴性血未到",
        ),
    )
    assert answer.status_code == 201, answer.json
    assert {"emergency", "rhd_positive_emergency"} <= set(flag_codes(answer.json))
    [reported] = [f for f in answer.json["flags"] if f["code"] == "rhd_positive_emergency"]
    assert reported["report"] is True and "失血性休克" in reported["message"]
    assert answer.json["review"]["status"] == "open"


def test_the_emergency_flag_needs_its_reason(client, his, unit_in_stock):
    unit = unit_in_stock()
    answer = post(client, his, payload(unit, emergency=True))
    assert answer.status_code == 422
    assert "emergency_reason" in answer.json["errors"]["json"]


def test_an_unknown_patient_group_takes_group_o_red_cells_only(client, his, unit_in_stock):
    refused = post(client, his, payload(unit_in_stock(abo="A"), patient_abo=None, patient_rhd=None))
    assert refused.status_code == 422
    assert refused.json["error"] == "group_unknown_not_universal"
    accepted = post(
        client, his, payload(unit_in_stock(abo="O"), patient_abo=None, patient_rhd=None)
    )
    assert accepted.status_code == 201
    assert flag_codes(accepted.json) == ["patient_group_unknown"]


def test_platelets_not_abo_identical_are_recorded_with_a_flag(client, his, unit_in_stock):
    unit = unit_in_stock(component="platelets", abo="A")
    answer = post(client, his, payload(unit, patient_abo="B"))
    assert answer.status_code == 201
    assert flag_codes(answer.json) == ["platelets_abo_non_identical"]


@pytest.mark.parametrize(
    "state, code, status",
    [
        ("issued", "unit_not_received", 409),
        ("on_hold", "unit_on_hold", 409),
        ("discarded", "unit_not_in_stock", 409),
    ],
)
def test_the_units_state_is_refused_in_clinical_words(
    client, his, unit_in_stock, state, code, status
):
    unit = unit_in_stock(state=state)
    answer = post(client, his, payload(unit))
    assert answer.status_code == status and answer.json["error"] == code


def test_a_unit_past_its_expiry_at_the_start_is_refused(client, his, unit_in_stock):
    unit = unit_in_stock(expires_in=timedelta(hours=-2))  # not yet marked expired
    start = now() - timedelta(hours=1)
    answer = post(
        client,
        his,
        payload(unit, started_at=start.isoformat(), ended_at=start.isoformat()),
    )
    assert answer.status_code == 409 and answer.json["error"] == "unit_expired"


def test_a_unit_already_marked_expired_is_refused_saying_so(client, his, unit_in_stock):
    """Given before its expiry, but the daily job marked it expired before the record came:
    the stock has no way back from "expired" (see the report to the stock's owner)."""
    unit = unit_in_stock(state="expired", expires_in=timedelta(minutes=-30))
    start = now() - timedelta(hours=2)
    answer = post(
        client,
        his,
        payload(unit, started_at=start.isoformat(), ended_at=start.isoformat()),
    )
    assert answer.status_code == 409 and answer.json["error"] == "unit_marked_expired"


def test_a_transfusion_started_before_expiry_is_recorded_after_it(client, his, unit_in_stock):
    unit = unit_in_stock(expires_in=timedelta(minutes=-30))  # expired half an hour ago
    start = now() - timedelta(hours=2)
    answer = post(
        client,
        his,
        payload(
            unit,
            started_at=start.isoformat(),
            ended_at=(start + timedelta(hours=1)).isoformat(),
        ),
    )
    assert answer.status_code == 201, answer.json


def test_the_same_unit_twice_is_409_naming_the_first_record(client, his, unit_in_stock):
    unit = unit_in_stock()
    first = post(client, his, payload(unit))
    second = post(client, his, payload(unit, patient_record_number="ZY-0002"))
    assert second.status_code == 409 and second.json["error"] == "unit_already_transfused"
    assert second.json["facts"]["transfusion"] == first.json["id"]


def test_your_own_record_id_is_unique_at_your_hospital(client, his, unit_in_stock):
    first = post(client, his, payload(unit_in_stock(), reference="TX-1"))
    again = post(client, his, payload(unit_in_stock(), reference="TX-1"))
    assert again.status_code == 409 and again.json["error"] == "duplicate_reference"
    assert again.json["facts"]["existing"] == first.json["id"]


@pytest.mark.parametrize(
    "change, code",
    [
        ({"started_at": (now() + timedelta(hours=1)).isoformat()}, "time_in_future"),
        ({"ended_at": (now() - timedelta(hours=5)).isoformat()}, "ended_before_started"),
        ({"patient_age_band": "1_17"}, "age_band_mismatch"),
    ],
)
def test_impossible_times_and_ages_are_refused(client, his, unit_in_stock, change, code):
    answer = post(client, his, payload(unit_in_stock(), **change))
    assert answer.status_code == 422 and answer.json["error"] == code


@pytest.mark.parametrize(
    "change, field",
    [
        ({"indication": "not-icd"}, "indication"),
        ({"patient_birth_year": None}, "patient_age_band"),
        ({"volume_given_ml": 0}, "volume_given_ml"),
        ({"pre_hb_g_l": 900}, "pre_hb_g_l"),
        ({"approvals": [{"tier": "director", "staff_id": "X1"}]}, "approvals"),
        ({"started_at": "2026-11-22T09:10:00"}, "started_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_names_the_field(client, his, unit_in_stock, change, field):
    answer = post(client, his, payload(unit_in_stock(), **change))
    assert answer.status_code == 422
    assert field in answer.json["errors"]["json"]


def test_an_indication_is_kept_in_capitals(client, his, unit_in_stock):
    answer = post(client, his, payload(unit_in_stock(), indication="d62.x00"))
    assert answer.json["indication"] == "D62.X00"


def test_approval_tiers_count_the_patients_24_hours_and_approvals_signed_once(
    client, session, his, unit_in_stock
):
    start = now() - timedelta(hours=20)

    def give(hours_later, **extra):
        unit = unit_in_stock()
        at = start + timedelta(hours=hours_later)
        body = payload(
            unit,
            patient_record_number="ZY-77",
            started_at=at.isoformat(),
            ended_at=(at + timedelta(hours=1)).isoformat(),
            **extra,
        )
        answer = post(client, his, body)
        assert answer.status_code == 201, answer.json
        return answer.json

    first = give(0)
    assert first["window_total_ml"] == 400 and first["required_approval"] is None
    second = give(2)  # 800 mL: the department head must sign
    assert second["required_approval"] == "department_head"
    assert flag_codes(second) == ["approval_missing"]
    third = give(4, approvals=[{"tier": "department_head", "staff_id": "H-0101"}])
    assert third["window_total_ml"] == 1200 and "approval_missing" not in flag_codes(third)
    fourth = give(6)  # 1,600 mL: the head signed on the third; the medical department missing
    assert fourth["required_approval"] == "medical_department"
    [missing] = [f for f in fourth["flags"] if f["code"] == "approval_missing"]
    assert missing["facts"]["missing"] == ["medical_department"]
    approvals = session.exec(select(TransfusionApproval)).all()
    assert [(a.tier, a.staff_mask) for a in approvals] == [("department_head", "***01")]


def test_units_given_more_than_24_hours_apart_do_not_add_up(client, his, unit_in_stock):
    old = now() - timedelta(hours=30)
    for at in (old, now() - timedelta(hours=3)):
        answer = post(
            client,
            his,
            payload(
                unit_in_stock(),
                patient_record_number="ZY-88",
                started_at=at.isoformat(),
                ended_at=(at + timedelta(hours=1)).isoformat(),
            ),
        )
    assert answer.json["window_total_ml"] == 400 and answer.json["flags"] == []


def test_the_same_number_at_two_hospitals_is_two_patients(client, headers, unit_in_stock):
    at_hz = post(client, headers("H-HZ"), payload(unit_in_stock(), patient_record_number="7"))
    unit = unit_in_stock(hospital="H-WZ")
    at_wz = post(client, headers("H-WZ"), payload(unit, patient_record_number="7"))
    assert at_hz.status_code == at_wz.status_code == 201
    assert at_wz.json["window_total_ml"] == 400  # not 800: another hospital's patient


def test_appropriateness_flags_never_refuse(client, his, unit_in_stock):
    answer = post(
        client, his, payload(unit_in_stock(), pre_hb_g_l=120, indication=None, ordering_doctor=None)
    )
    assert answer.status_code == 201
    assert set(flag_codes(answer.json)) == {
        "red_cells_hb_high",
        "no_indication",
        "ordering_doctor_missing",
    }
    assert all(f["message"] and "%(" not in f["message"] for f in answer.json["flags"])


def test_flag_messages_follow_the_callers_language(client, his, unit_in_stock):
    answer = post(
        client,
        {**his, "Accept-Language": "zh-CN"},
        payload(unit_in_stock(), pre_hb_g_l=120),
    )
    [flag] = answer.json["flags"]
    assert "血红蛋白" in flag["message"]


@pytest.mark.parametrize("org", ["BC", "S-CA", "MF", "HZ"])
def test_only_hospitals_record_transfusions(client, headers, unit_in_stock, org):
    answer = post(client, headers(org), payload(unit_in_stock()))
    assert answer.status_code == 403


def test_a_hospital_admin_without_the_transfusion_officer_role_cannot_record(client, unit_in_stock):
    from tests.conftest import login

    login(client, "hhz.admin")
    page = client.get("/clinical/transfusions/new")
    assert page.status_code == 403
