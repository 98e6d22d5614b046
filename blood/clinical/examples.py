"""Examples of the clinical API's requests and answers, for the OpenAPI document (every
operation shows one)."""

from __future__ import annotations

DIN = "B330026000123"
UNIT = {"din": DIN, "product_code": "E0001", "division": "00"}
TRANSFUSION_EXAMPLE = {
    **UNIT,
    "reference": "HIS-TX-2026-000451",
    "patient_record_number": "ZY20260451",
    "patient_sex": "F",
    "patient_birth_year": 1961,
    "patient_abo": "A",
    "patient_rhd": "+",
    "department": "普外科",
    "ward": "5B",
    "indication": "D62",
    "surgical": True,
    "pre_hb_g_l": 68,
    "started_at": "2026-11-22T09:10:00+08:00",
    "ended_at": "2026-11-22T10:40:00+08:00",
    "volume_given_ml": 280,
    "ordering_doctor": "D0312",
    "approvals": [{"tier": "senior_doctor", "staff_id": "D0107"}],
}
OUT_UNIT = {**UNIT, "check_character": "K", "component": "red_cells", "blood_group": "A+"}
TRANSFUSION_OUT_EXAMPLE = {
    "id": 451,
    "reference": "HIS-TX-2026-000451",
    "hospital": "H-ZJU1",
    "unit": OUT_UNIT,
    "patient": {
        "record_number": "*******451",
        "sex": "F",
        "birth_year": 1961,
        "age_band": "60_74",
        "abo": "A",
        "rhd": "+",
    },
    "department": "普外科",
    "ward": "5B",
    "indication": "D62",
    "surgical": True,
    "bleeding": False,
    "pre": {
        "hb_g_l": 68.0,
        "platelets_e9_l": None,
        "pt_ratio": None,
        "inr": None,
        "aptt_ratio": None,
        "fibrinogen_g_l": None,
    },
    "started_at": "2026-11-22T01:10:00+00:00",
    "ended_at": "2026-11-22T02:40:00+00:00",
    "volume_given_ml": 280,
    "counted_ml": 400,
    "ordering_doctor": "***12",
    "approvals": [{"tier": "senior_doctor", "staff": "***07"}],
    "emergency": False,
    "emergency_reason": None,
    "autologous": False,
    "window_total_ml": 400,
    "required_approval": None,
    "flags": [],
    "review": {"status": None, "comment": None, "reviewed_at": None},
    "outcomes": [],
    "reactions": [],
    "recorded_at": "2026-11-22T02:41:07.512000+00:00",
}
PAGE_EXAMPLE = {
    "items": [TRANSFUSION_OUT_EXAMPLE],
    "next_cursor": "WyJ0cmFuc2Z1c2lvbiIsIjIwMjYtMTEtMjJUMDI6NDE6MDcuNTEyMDAwKzAwOjAwIiw0NTFd",
    "has_more": False,
}


REACTION_EXAMPLE = {
    "reference": "HIS-AR-2026-0031",
    "transfusions": [451],
    "category": "febrile_non_haemolytic",
    "severity": 1,
    "imputability": "probable",
    "outcome": "minor_or_none",
    "onset_at": "2026-11-22T10:20:00+08:00",
    "description": "体温 38.9 °C，寒战，停止输注后缓解",
}

REACTION_OUT_EXAMPLE = {
    "id": 31,
    "reference": "HIS-AR-2026-0031",
    "hospital": "H-ZJU1",
    "transfusions": [451],
    "category": "febrile_non_haemolytic",
    "severity": 1,
    "imputability": "probable",
    "outcome": "minor_or_none",
    "onset_at": "2026-11-22T02:20:00+00:00",
    "description": "体温 38.9 °C，寒战，停止输注后缓解",
    "warning": None,
    "alert_required": False,
    "recorded_at": "2026-11-22T03:02:44+00:00",
}

MOVEMENT_EXAMPLE = {
    "id": 8812,
    "hospital": "H-ZJU1",
    "unit": {**OUT_UNIT, "din": "B330026000130"},
    "reason": "not_needed",
    "recorded_at": "2026-11-22T06:15:00+00:00",
}
