"""POST /api/v1/adverse-reactions: linked to the hospital's transfusions of one patient, an
onset outside its category's window warned, severe ones and infections alerted at once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from blood.clinical.models import AdverseReaction
from blood.supervision.models import Alert
from tests.clinical.helpers import now, payload

URL = "/api/v1/adverse-reactions"


def give(client, headers, unit, **extra):
    answer = client.post("/api/v1/transfusions", headers=headers, json=payload(unit, **extra))
    assert answer.status_code == 201, answer.json
    return answer.json


def report(client, headers, transfusions=(), units=(), hours_after_end=1, ended=None, **extra):
    onset = datetime.fromisoformat(ended) + timedelta(hours=hours_after_end)
    body = {
        "transfusions": list(transfusions),
        "units": list(units),
        "category": "febrile_non_haemolytic",
        "severity": 1,
        "imputability": "probable",
        "outcome": "minor_or_none",
        "onset_at": onset.isoformat(),
        "description": "体温 38.9 °C",
        **extra,
    }
    return client.post(URL, headers=headers, json=body)


def test_a_reaction_is_reported_and_read_back(client, his, unit_in_stock):
    given = give(client, his, unit_in_stock())
    answer = report(client, his, [given["id"]], ended=given["ended_at"], reference="AR-1")
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert body["transfusions"] == [given["id"]] and body["warning"] is None
    assert body["alert_required"] is False
    record = client.get(f"/api/v1/transfusions/{given['id']}", headers=his).json
    assert record["reactions"] == [body["id"]]
    listed = client.get(URL, headers=his).json
    assert [r["id"] for r in listed["items"]] == [body["id"]]
    assert client.get(f"{URL}/{body['id']}", headers=his).json["reference"] == "AR-1"


def test_a_reaction_may_name_the_unit_given_as_scanned(client, his, unit_in_stock):
    unit = unit_in_stock()
    given = give(client, his, unit)
    answer = report(
        client,
        his,
        units=[{"din": unit.din + unit.check_character, "product_code": unit.product_code}],
        ended=given["ended_at"],
    )
    assert answer.status_code == 201 and answer.json["transfusions"] == [given["id"]]


@pytest.mark.parametrize(
    "category, severity, alert",
    [
        ("allergic", 2, False),
        ("anaphylactic", 3, True),
        ("acute_haemolytic", 4, True),
        ("tti", 1, True),
    ],
)
def test_severity_3_4_and_infections_are_marked_for_immediate_alerting(
    client, session, his, unit_in_stock, category, severity, alert
):
    given = give(client, his, unit_in_stock())
    answer = report(
        client,
        his,
        [given["id"]],
        ended=given["ended_at"],
        category=category,
        severity=severity,
        hours_after_end=0.5,
    )
    assert answer.status_code == 201 and answer.json["alert_required"] is alert
    # Marked reactions raise their supervision alert in the request that records them.
    reaction = session.get(AdverseReaction, answer.json["id"])
    assert (reaction.alerted_at is not None) is alert
    raised = session.exec(
        select(Alert).where(
            Alert.rule == "severe_reaction", Alert.subject == f"reaction-{reaction.id}"
        )
    ).all()
    assert len(raised) == (1 if alert else 0)


def test_an_onset_outside_the_categorys_window_is_accepted_with_a_warning(
    client, his, unit_in_stock
):
    given = give(client, his, unit_in_stock())
    answer = report(
        client, his, [given["id"]], ended=given["ended_at"], category="trali", hours_after_end=0
    )
    assert answer.json["warning"] is None
    later = give(client, his, unit_in_stock(), patient_record_number="ZY-2")
    late = report(
        client,
        his,
        [later["id"]],
        ended=(datetime.fromisoformat(later["ended_at"]) - timedelta(hours=10)).isoformat(),
        category="trali",
        hours_after_end=0,
    )
    assert late.status_code == 422 and late.json["error"] == "onset_before_transfusion"


def test_trali_nine_hours_after_is_a_warning(client, his, unit_in_stock):
    start = now() - timedelta(hours=11)
    given = give(
        client,
        his,
        unit_in_stock(),
        started_at=start.isoformat(),
        ended_at=(start + timedelta(hours=1)).isoformat(),
    )
    answer = report(
        client, his, [given["id"]], ended=given["ended_at"], category="trali", hours_after_end=9
    )
    assert answer.status_code == 201
    assert answer.json["warning"]["code"] == "onset_outside_window"
    assert "9" in answer.json["warning"]["message"]


def test_another_hospitals_transfusion_is_404(client, headers, unit_in_stock):
    theirs = give(client, headers("H-WZ"), unit_in_stock(hospital="H-WZ"))
    answer = report(client, headers("H-HZ"), [theirs["id"]], ended=theirs["ended_at"])
    assert answer.status_code == 404


def test_a_reaction_links_transfusions_of_one_patient_only(client, his, unit_in_stock):
    one = give(client, his, unit_in_stock(), patient_record_number="P-1")
    two = give(client, his, unit_in_stock(), patient_record_number="P-2")
    answer = report(client, his, [one["id"], two["id"]], ended=one["ended_at"])
    assert answer.status_code == 422 and answer.json["error"] == "reaction_transfusions_differ"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"severity": 5}, "severity"),
        ({"category": "headache"}, "category"),
        ({"imputability": "likely"}, "imputability"),
        ({"outcome": "fine"}, "outcome"),
    ],
)
def test_the_vocabulary_is_checked(client, his, unit_in_stock, change, field):
    given = give(client, his, unit_in_stock())
    answer = report(client, his, [given["id"]], ended=given["ended_at"], **change)
    assert answer.status_code == 422 and field in answer.json["errors"]["json"]


def test_a_reaction_links_at_most_20_transfusions(client, his, unit_in_stock):
    given = give(client, his, unit_in_stock())
    answer = report(client, his, list(range(1, 22)), ended=given["ended_at"])
    assert answer.status_code == 422 and "transfusions" in answer.json["errors"]["json"]


def test_a_reaction_names_at_least_one_transfusion(client, his, unit_in_stock):
    given = give(client, his, unit_in_stock())
    answer = report(client, his, [], ended=given["ended_at"])
    assert answer.status_code == 422 and "transfusions" in answer.json["errors"]["json"]


def test_an_authority_reads_its_jurisdictions_reactions(client, headers, unit_in_stock):
    given = give(client, headers("H-HZ"), unit_in_stock())
    made = report(client, headers("H-HZ"), [given["id"]], ended=given["ended_at"]).json
    assert [r["id"] for r in client.get(URL, headers=headers("HZ")).json["items"]] == [made["id"]]
    assert client.get(URL, headers=headers("WZ")).json["items"] == []
    assert client.get(f"{URL}/{made['id']}", headers=headers("WZ")).status_code == 404
    assert report(client, headers("HZ"), [given["id"]], ended=given["ended_at"]).status_code == 403
