"""What the API cannot show: the refusals a race produces, and the audit trail."""

from __future__ import annotations

from sqlmodel import select

from blood.audit import AuditEvent
from blood.clinical.service import transfusions
from tests.clinical.helpers import payload


def test_a_unit_moved_between_the_look_and_the_update_is_refused_as_used(
    client, his, unit_in_stock, monkeypatch
):
    """The stock's conditional update is the last guard: a racing request that passed the
    look still gets 409 in clinical words."""
    unit = unit_in_stock(state="transfused")
    monkeypatch.setattr(transfusions, "_check_unit", lambda *args: None)
    answer = client.post("/api/v1/transfusions", headers=his, json=payload(unit))
    assert answer.status_code == 409 and answer.json["error"] == "unit_already_transfused"


def test_a_reference_racing_past_its_check_is_a_duplicate_not_a_server_error(
    client, his, unit_in_stock, monkeypatch
):
    first = client.post(
        "/api/v1/transfusions", headers=his, json=payload(unit_in_stock(), reference="R1")
    )
    assert first.status_code == 201
    monkeypatch.setattr(transfusions, "_duplicate_reference", lambda *args: None)
    again = client.post(
        "/api/v1/transfusions", headers=his, json=payload(unit_in_stock(), reference="R1")
    )
    assert again.status_code == 409 and again.json["error"] == "duplicate_reference"


def test_a_transfusion_writes_its_record_and_the_units_move_to_the_audit_log(
    client, session, his, unit_in_stock
):
    answer = client.post("/api/v1/transfusions", headers=his, json=payload(unit_in_stock()))
    actions = [
        e.action
        for e in session.exec(
            select(AuditEvent).where(AuditEvent.request_id.is_not(None)).order_by(AuditEvent.id)
        ).all()
    ]
    assert actions[-2:] == ["unit.transfuse", "transfusion.record"]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "transfusion.record")).one()
    assert event.entity_id == str(answer.json["id"]) and event.organisation_code == "H-HZ"


def test_a_refused_batch_item_leaves_nothing_in_the_audit_log(client, session, his, unit_in_stock):
    unit = unit_in_stock(abo="A")
    answer = client.post(
        "/api/v1/transfusions/batch", headers=his, json={"items": [payload(unit, patient_abo="O")]}
    )
    assert answer.json["refused"] == 1
    assert (
        session.exec(
            select(AuditEvent).where(
                AuditEvent.action.in_(["unit.transfuse", "transfusion.record"])
            )
        ).all()
        == []
    )
