"""Indicators: each organisation's local day into stored facts, rolled up over the
jurisdiction tree, read by authorities within their jurisdiction only."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select

from blood.supervision.models import IndicatorFact

URL = "/api/v1/indicators"


def _figure(body: dict, code: str) -> dict:
    return next(f for f in body["figures"] if f["indicator"] == code)


def test_recomputing_a_day_replaces_its_facts_and_never_duplicates_them(
    session, world, transfuse, compute
):
    transfuse("H-HZ", 2)
    first, _ = compute(evaluate=False)
    rows = session.exec(select(sa.func.count()).select_from(IndicatorFact)).one()
    again, _ = compute(evaluate=False)
    assert first.facts == again.facts > 0
    assert session.exec(select(sa.func.count()).select_from(IndicatorFact)).one() == rows
    counted = session.exec(
        select(IndicatorFact.numerator).where(
            IndicatorFact.organisation_id == world.org("H-HZ").id,
            IndicatorFact.indicator == "transfusions",
            IndicatorFact.breakdown == "",
        )
    ).all()
    assert counted == [2]


def test_a_city_sums_its_hospitals_and_the_province_sums_its_cities(
    client, transfuse, compute, headers
):
    transfuse("H-HZ", 2)
    transfuse("H-WZ", 3)
    compute(evaluate=False)
    query = {"indicator": "transfusions", "period": "today"}
    hz = client.get(URL, headers=headers("HZ"), query_string=query).json
    zj = client.get(URL, headers=headers("ZJ"), query_string=query).json
    hospital = client.get(URL, headers=headers("H-HZ"), query_string=query).json
    assert _figure(hz, "transfusions")["value"] == 2
    assert _figure(zj, "transfusions")["value"] == 5
    assert _figure(hospital, "transfusions")["value"] == 2
    assert zj["organisation"]["code"] == "ZJ" and zj["period"]["kind"] == "day"


def test_a_breakdown_splits_the_figure_by_department(client, transfuse, compute, headers):
    transfuse("H-HZ", 2)
    transfuse("H-HZ", 1, department="心内科")
    compute(evaluate=False)
    body = client.get(
        URL,
        headers=headers("HZ"),
        query_string={"indicator": "transfusions", "breakdown": "department"},
    ).json
    parts = {
        p["values"]["department"]: p["value"] for p in _figure(body, "transfusions")["breakdown"]
    }
    assert parts == {"普外科": 2, "心内科": 1}


def test_a_rate_is_recomputed_from_the_sums_not_averaged(client, transfuse, compute, headers):
    # One reaction over three transfusions at one hospital, none over one at the other:
    # the province's rate is 1 / 4 per 1,000, not the mean of 333 and 0.
    given = transfuse("H-HZ", 3)
    transfuse("H-WZ", 1)
    reaction = client.post(
        "/api/v1/adverse-reactions",
        headers=headers("H-HZ"),
        json={
            "transfusions": [given[0]["id"]],
            "category": "febrile_non_haemolytic",
            "severity": 1,
            "imputability": "probable",
            "outcome": "minor_or_none",
            "onset_at": given[0]["ended_at"],
        },
    )
    assert reaction.status_code == 201, reaction.json
    compute(evaluate=False)
    body = client.get(
        URL, headers=headers("ZJ"), query_string={"indicator": "adverse_reaction_rate"}
    ).json
    rate = _figure(body, "adverse_reaction_rate")
    assert (rate["numerator"], rate["denominator"]) == (1, 4)
    assert rate["value"] == 250


def test_a_city_inspector_never_sees_another_city(client, transfuse, compute, headers):
    transfuse("H-WZ", 1)
    compute(evaluate=False)
    hz = headers("HZ")
    for code in ("H-WZ", "WZ", "ZJ"):
        answer = client.get(URL, headers=hz, query_string={"organisation": code})
        assert answer.status_code == 404, code
        assert answer.json["error"] == "not_found"
    mine = client.get(URL, headers=hz, query_string={"indicator": "transfusions"}).json
    assert _figure(mine, "transfusions")["value"] == 0


def test_a_hospital_reads_its_own_figures_only(client, transfuse, compute, headers):
    transfuse("H-WZ", 1)
    compute(evaluate=False)
    answer = client.get(URL, headers=headers("H-HZ"), query_string={"organisation": "H-WZ"})
    assert answer.status_code == 404 and answer.json["error"] == "not_found"


def test_a_period_that_cannot_be_read_is_a_field_error(client, world, headers):
    answer = client.get(URL, headers=headers("ZJ"), query_string={"period": "2026-13"})
    assert answer.status_code == 422
    assert answer.json["error"] == "validation_failed"
    assert "period" in str(answer.json["errors"])


def test_an_unknown_indicator_is_refused(client, world, headers):
    answer = client.get(URL, headers=headers("ZJ"), query_string={"indicator": "happiness"})
    assert answer.status_code == 422 and "indicator" in str(answer.json["errors"])


def test_a_month_series_has_one_point_per_day(client, transfuse, compute, headers):
    transfuse("H-HZ", 2)
    compute(evaluate=False)
    body = client.get(
        f"{URL}/series",
        headers=headers("ZJ"),
        query_string={"indicator": "transfusions", "period": "last-28-days", "grain": "day"},
    ).json
    assert len(body["points"]) == 28
    assert body["points"][-1]["value"] == 2 and sum(p["value"] for p in body["points"]) == 2


def test_the_cli_computes_the_days_it_is_asked_for(runner, world):
    result = runner.invoke(args=["blood", "compute-indicators", "--days", "3"])
    assert result.exit_code == 0, result.output
    # two stations, two hospitals and the blood centre, three days each
    assert "for 15 organisation-days" in result.output


def test_an_incompatible_transfusion_is_refused_and_the_attempt_counted(
    client, app, session, world, headers, compute
):
    from blood.clinical.models import RefusedTransfusion, Transfusion
    from tests.clinical.helpers import make_unit, payload

    with app.app_context():
        unit = make_unit(session, world, hospital="H-HZ", abo="A", rhd="+")
        session.commit()
    answer = client.post(
        "/api/v1/transfusions",
        headers=headers("H-HZ"),
        json=payload(unit, patient_abo="O", patient_rhd="+"),
    )
    assert answer.status_code == 422 and answer.json["error"] == "abo_incompatible"
    session.expire_all()
    assert session.exec(select(Transfusion)).all() == []
    [attempt] = session.exec(select(RefusedTransfusion)).all()
    assert (attempt.hospital_id, attempt.code) == (world.org("H-HZ").id, "abo_incompatible")
    compute(evaluate=False)
    body = client.get(
        URL,
        headers=headers("HZ"),
        query_string={"indicator": "incompatible_refused", "breakdown": "reason"},
    ).json
    figure = _figure(body, "incompatible_refused")
    assert figure["value"] == 1
    assert figure["breakdown"][0]["values"] == {"reason": "abo_incompatible"}
