"""POST /api/v1/transfusions/{id}/outcome: the effect of a transfusion, its rules, and the
review list of missing outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from blood.clinical import service as clinical
from blood.pagination import PageRequest
from tests.clinical.helpers import now, officer, payload


def give(client, headers, unit, hours_ago=6, **extra):
    start = now() - timedelta(hours=hours_ago)
    body = payload(
        unit,
        started_at=start.isoformat(),
        ended_at=(start + timedelta(hours=1)).isoformat(),
        **extra,
    )
    answer = client.post("/api/v1/transfusions", headers=headers, json=body)
    assert answer.status_code == 201, answer.json
    return answer.json


def outcome(client, headers, transfusion, hours_after_end=2, **values):
    measured = datetime.fromisoformat(transfusion["ended_at"]) + timedelta(hours=hours_after_end)
    return client.post(
        f"/api/v1/transfusions/{transfusion['id']}/outcome",
        headers=headers,
        json={"measured_at": measured.isoformat(), **values},
    )


def test_hb_rise_is_per_unit_over_every_bag_until_the_measurement(client, his, unit_in_stock):
    first = give(client, his, unit_in_stock(), hours_ago=8, pre_hb_g_l=60)
    give(client, his, unit_in_stock(), hours_ago=6, pre_hb_g_l=63)  # the same patient
    answer = outcome(client, his, first, hours_after_end=5, hb_g_l=80)
    assert answer.status_code == 201, answer.json
    assert answer.json["units"] == 4.0  # two bags from 400 mL each: 4 U
    assert answer.json["increment"] == 5.0 and answer.json["ineffective"] is False


def test_an_ineffective_red_cell_transfusion_is_flagged_for_the_committee(
    client, his, unit_in_stock
):
    given = give(client, his, unit_in_stock(), pre_hb_g_l=60)
    assert given["review"]["status"] is None
    answer = outcome(client, his, given, hb_g_l=62)
    assert answer.status_code == 201 and answer.json["ineffective"] is True
    record = client.get(f"/api/v1/transfusions/{given['id']}", headers=his).json
    assert [f["code"] for f in record["flags"]] == ["ineffective_red_cells"]
    assert record["review"]["status"] == "open"


def test_platelets_cci_uses_the_body_surface_area_and_the_apheresis_dose(
    client, his, unit_in_stock
):
    given = give(client, his, unit_in_stock(component="platelets", abo="O"), pre_platelets_e9_l=10)
    answer = outcome(
        client, his, given, hours_after_end=1, platelets_e9_l=40, body_surface_area_m2=1.7
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["platelets_given_e11"] == 2.5
    assert answer.json["cci"] == pytest.approx(20.4) and answer.json["ineffective"] is False


def test_platelets_without_bsa_are_recorded_not_judged(client, his, unit_in_stock):
    given = give(client, his, unit_in_stock(component="platelets"), pre_platelets_e9_l=10)
    answer = outcome(client, his, given, platelets_e9_l=12)
    assert answer.json["ineffective"] is None and answer.json["basis"] == "no_bsa"
    assert answer.json["note"]


@pytest.mark.parametrize(
    "hours, values, code",
    [
        (2, {"platelets_e9_l": 50}, "outcome_measure_missing"),
        (-0.5, {"hb_g_l": 80}, "outcome_before_end"),
        (24.5, {"hb_g_l": 80}, "outcome_too_late"),
    ],
)
def test_an_outcome_must_fit_its_component_and_its_24_hours(
    client, his, unit_in_stock, hours, values, code
):
    given = give(client, his, unit_in_stock(), hours_ago=30)
    answer = outcome(client, his, given, hours_after_end=hours, **values)
    assert answer.status_code == 422 and answer.json["error"] == code


def test_an_outcome_on_another_hospitals_transfusion_is_404(client, headers, unit_in_stock):
    given = give(client, headers("H-WZ"), unit_in_stock(hospital="H-WZ"))
    assert outcome(client, headers("H-HZ"), given, hb_g_l=80).status_code == 404


def test_missing_outcomes_show_after_48_hours_until_measured_or_reviewed(
    app, client, session, world, his, unit_in_stock
):
    due = give(client, his, unit_in_stock(), hours_ago=60, patient_record_number="A1")
    fresh = give(client, his, unit_in_stock(), hours_ago=10, patient_record_number="B2")
    measured = give(client, his, unit_in_stock(), hours_ago=60, patient_record_number="C3")
    covered = give(client, his, unit_in_stock(), hours_ago=59, patient_record_number="C3")
    assert outcome(client, his, measured, hours_after_end=3, hb_g_l=80).status_code == 201
    acknowledged = give(client, his, unit_in_stock(), hours_ago=70, patient_record_number="D4")

    actor = officer(session, world)
    with app.app_context():
        clinical.review_transfusion(
            session=session, actor=actor, transfusion_id=acknowledged["id"], comment="未复查"
        )
        session.commit()
        listed = clinical.review_list(
            session=session, actor=actor, flagged_page=PageRequest(), missing_page=PageRequest()
        )
    missing = [d.transfusion.id for d in listed.missing_outcomes.items]
    assert missing == [due["id"]]
    assert fresh["id"] not in missing and covered["id"] not in missing
