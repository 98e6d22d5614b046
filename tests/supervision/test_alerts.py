"""Alerts: opened once for a condition, seen by every authority above the organisation and
by none beside it, acknowledged and closed by inspectors (audited), closed by themselves when
the condition clears, with their history kept."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import pytest
from sqlmodel import select

from blood import settings
from blood.audit import AuditEvent
from blood.supervision.models import Alert, AlertEvent

URL = "/api/v1/alerts"


@pytest.fixture
def minimum_o_negative(session):
    """H-HZ must hold at least two O− red-cell units; no other minimum anywhere."""
    session.info[settings.INFO_KEY] = dataclasses.replace(
        settings.of(session),
        stock_minimum_units=MappingProxyType({"H-HZ": {"red_cells": {"O-": 2}}}),
    )


def _alerts(session, rule="stock_minimum"):
    session.expire_all()
    return session.exec(select(Alert).where(Alert.rule == rule).order_by(Alert.id)).all()


def test_stock_below_its_minimum_alerts_even_without_any_use(
    session, world, in_stock, compute, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    _computed, judged = compute()
    [alert] = _alerts(session)
    assert alert.organisation_id == world.org("H-HZ").id
    assert (alert.subject, alert.severity, alert.status) == ("red_cells|O-", "red", "open")
    assert alert.facts["on_hand"] == 1 and alert.facts["minimum"] == 2
    assert judged.opened >= 1


def test_an_alert_opens_once_however_often_the_condition_is_judged(
    session, in_stock, compute, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    compute()
    compute()
    _computed, judged = compute()
    assert len(_alerts(session)) == 1
    assert judged.opened == 0


def test_an_alert_closes_itself_when_the_condition_clears_and_keeps_its_history(
    session, in_stock, compute, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    compute()
    in_stock("H-HZ", 2, abo="O", rhd="-")
    _computed, judged = compute()
    [alert] = _alerts(session)
    assert (alert.status, alert.closed_reason, alert.open_key) == ("closed", "cleared", None)
    assert judged.cleared == 1
    kinds = session.exec(
        select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
    ).all()
    assert kinds == ["opened", "cleared"]


def test_every_authority_above_sees_the_alert_and_none_beside_it(
    client, session, in_stock, compute, headers, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    compute()
    [alert] = _alerts(session)
    for authority in ("HZ", "ZJ"):
        listed = client.get(URL, headers=headers(authority), query_string={"page_size": 100})
        assert listed.status_code == 200
        assert alert.id in [a["id"] for a in listed.json], authority
    beside = client.get(URL, headers=headers("WZ"))
    assert alert.id not in [a["id"] for a in beside.json]
    answer = client.get(f"{URL}/{alert.id}", headers=headers("WZ"))
    assert answer.status_code == 404 and answer.json["error"] == "not_found"
    refused = client.post(f"{URL}/{alert.id}/acknowledge", headers=headers("WZ"), json={})
    assert refused.status_code == 404


def test_an_alert_reads_as_a_sentence_with_the_organisations_name(
    client, session, in_stock, compute, headers, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    compute()
    [alert] = _alerts(session)
    body = client.get(f"{URL}/{alert.id}", headers=headers("HZ")).json
    assert body["message"] == (
        "O− red cells at H-HZ organisation: 1 unit on hand, below the minimum of 2."
    )
    assert [e["kind"] for e in body["events"]] == ["opened"]


def test_only_authorities_read_alerts(client, world, headers):
    answer = client.get(URL, headers=headers("H-HZ"))
    assert answer.status_code == 403 and answer.json["error"] == "forbidden"


def test_acknowledging_and_closing_are_audited_and_a_close_needs_its_reason(
    client, session, in_stock, compute, headers, minimum_o_negative
):
    in_stock("H-HZ", 1, abo="O", rhd="-")
    compute()
    [alert] = _alerts(session)
    hz = headers("HZ")
    seen = client.post(f"{URL}/{alert.id}/acknowledge", headers=hz, json={"comment": "已电话"})
    assert seen.status_code == 200 and seen.json["status"] == "acknowledged"
    again = client.post(f"{URL}/{alert.id}/acknowledge", headers=hz, json={})
    assert again.status_code == 409 and again.json["error"] == "alert_acknowledged"
    no_reason = client.post(f"{URL}/{alert.id}/close", headers=hz, json={})
    assert no_reason.status_code == 422 and "comment" in str(no_reason.json["errors"])
    closed = client.post(f"{URL}/{alert.id}/close", headers=hz, json={"comment": "已调配"})
    assert closed.status_code == 200
    assert (closed.json["status"], closed.json["close_comment"]) == ("closed", "已调配")
    assert [e["kind"] for e in closed.json["events"]] == ["opened", "acknowledged", "closed"]
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.action.like("alert.%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["alert.acknowledge", "alert.close"]
    reopened = client.post(f"{URL}/{alert.id}/acknowledge", headers=hz, json={})
    assert reopened.status_code == 409 and reopened.json["error"] == "alert_closed"


def test_a_life_threatening_reaction_alerts_at_once_without_a_computation(
    client, session, transfuse, headers
):
    given = transfuse("H-HZ", 1)[0]
    answer = client.post(
        "/api/v1/adverse-reactions",
        headers=headers("H-HZ"),
        json={
            "transfusions": [given["id"]],
            "category": "anaphylactic",
            "severity": 3,
            "imputability": "probable",
            "outcome": "minor_or_none",
            "onset_at": given["ended_at"],
        },
    )
    assert answer.status_code == 201, answer.json
    [alert] = _alerts(session, "severe_reaction")
    assert alert.severity == "orange" and alert.status == "open"
    assert alert.id in [a["id"] for a in client.get(URL, headers=headers("ZJ")).json]
    assert alert.id not in [a["id"] for a in client.get(URL, headers=headers("WZ")).json]
    message = client.get(f"{URL}/{alert.id}", headers=headers("ZJ")).json["message"]
    assert message.startswith("Adverse reaction reported by H-HZ organisation: ")
    assert "+00:00" not in message  # the onset reads as a local time, not a stored stamp


def test_the_cli_evaluates_the_alerts(runner, session, in_stock, minimum_o_negative):
    assert runner.invoke(args=["blood", "compute-indicators"]).exit_code == 0
    result = runner.invoke(args=["blood", "evaluate-alerts"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("alerts: ")
