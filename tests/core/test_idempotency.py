"""Idempotency-Key: a retried POST does its work once and gets the same answer."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.accounts.scoping import Actor
from blood.accounts.service import create_token
from blood.idempotency import IdempotencyRecord
from blood.stock.models import Order

ORDER = {
    "centre": "BC",
    "urgency": "urgent",
    "lines": [{"component": "red_cells", "abo": "O", "rhd": "+", "quantity": 2}],
}


@pytest.fixture
def his(api_headers):
    return api_headers("H-HZ")


def test_a_retry_replays_the_first_answer_and_orders_once(client, session, his):
    headers = {**his, "Idempotency-Key": "order-7f3a"}
    first = client.post("/api/v1/orders", headers=headers, json=ORDER)
    again = client.post("/api/v1/orders", headers=headers, json=ORDER)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first.headers
    assert len(session.exec(select(Order)).all()) == 1


def test_the_same_key_with_another_request_is_refused(client, session, his):
    headers = {**his, "Idempotency-Key": "order-7f3a"}
    assert client.post("/api/v1/orders", headers=headers, json=ORDER).status_code == 201
    other = {**ORDER, "urgency": "routine"}
    refused = client.post("/api/v1/orders", headers=headers, json=other)
    assert refused.status_code == 422
    assert refused.json["error"] == "idempotency_key_reused"
    assert len(session.exec(select(Order)).all()) == 1


def test_refused_requests_store_nothing_and_can_be_corrected(client, session, his):
    headers = {**his, "Idempotency-Key": "order-8b1c"}
    bad = {**ORDER, "lines": [{**ORDER["lines"][0], "quantity": 0}]}
    refused = client.post("/api/v1/orders", headers=headers, json=bad)
    assert refused.status_code == 422
    assert refused.json["error"] == "validation_failed"
    assert session.exec(select(IdempotencyRecord)).all() == []
    assert client.post("/api/v1/orders", headers=headers, json=ORDER).status_code == 201


def test_keys_are_per_organisation_and_without_a_key_nothing_changes(
    client, session, his, api_headers
):
    other = api_headers("H-WZ")
    key = {"Idempotency-Key": "shared-key"}
    client.post("/api/v1/orders", headers={**his, **key}, json=ORDER)
    second = client.post("/api/v1/orders", json=ORDER, headers={**other, **key})
    assert second.status_code == 201 and "Idempotency-Replayed" not in second.headers
    client.post("/api/v1/orders", headers=his, json=ORDER)
    client.post("/api/v1/orders", headers=his, json=ORDER)
    assert len(session.exec(select(Order)).all()) == 4


def test_an_over_long_key_is_refused(client, his):
    response = client.post(
        "/api/v1/orders", headers={**his, "Idempotency-Key": "k" * 300}, json=ORDER
    )
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert "Idempotency-Key" in response.json["errors"]["json"]


def test_racing_retries_make_one_order(base_app):
    """Two copies of the same POST at once: one order; the other waits or replays."""

    from blood.accounts.roles import OrgKind
    from blood.db import get_db
    from tests.conftest import commit_world, wipe_committed
    from tests.plasma.test_concurrency import run_at_once

    engine = get_db(base_app).engine
    try:
        made = commit_world(
            base_app,
            [("BC", OrgKind.BLOOD_CENTRE, "血液中心"), ("H1", OrgKind.HOSPITAL, "医院")],
            [],
        )
        with base_app.app_context(), get_db(base_app).new_session(bind=engine) as s:
            _row, plaintext = create_token(
                session=s, actor=Actor.system(), organisation=s.merge(made["H1"]), name="HIS"
            )
            s.commit()
        headers = {"Authorization": f"Bearer {plaintext}", "Idempotency-Key": "race-1"}

        def send():
            return (
                base_app.test_client()
                .post("/api/v1/orders", headers=headers, json=ORDER)
                .status_code
            )

        statuses = run_at_once([send, send, send])
        assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}, statuses
        with get_db(base_app).new_session(bind=engine) as s:
            assert len(s.exec(select(Order)).all()) == 1
    finally:
        wipe_committed(engine)


def test_old_keys_are_pruned_and_recent_ones_kept(app, client, session, his, runner):
    from datetime import timedelta

    from blood.db import utcnow

    client.post("/api/v1/orders", headers={**his, "Idempotency-Key": "old"}, json=ORDER)
    client.post("/api/v1/orders", headers={**his, "Idempotency-Key": "new"}, json=ORDER)
    old = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "old")).one()
    old.created_at = utcnow() - timedelta(days=31)
    session.add(old)
    session.commit()
    result = runner.invoke(args=["blood", "prune-idempotency-keys"])
    assert result.exit_code == 0, result.output
    assert "1 idempotency keys older than 30 days forgotten" in result.output
    session.expire_all()
    assert [r.key for r in session.exec(select(IdempotencyRecord)).all()] == ["new"]
