"""The audit log: every write recorded, secrets masked, and tampering caught by verify."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from blood import audit
from blood.accounts.scoping import Actor
from blood.audit import AuditEvent
from blood.db import get_db


def events(session, action=None):
    statement = select(AuditEvent).order_by(AuditEvent.seq)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return session.exec(statement).all()


def test_every_world_write_is_recorded_and_chain_is_intact(app, session, world):
    created_users = events(session, "user.create")
    assert {e.entity_id for e in created_users} == {str(u.id) for u in world.users.values()}
    assert len(events(session, "organisation.create")) == len(world.orgs)
    checked, broken = audit.verify(session)
    assert broken is None
    assert checked == len(events(session))


def test_password_hashes_never_reach_the_log(app, session, world):
    for event in events(session, "user.create"):
        assert event.changes["password_hash"] == [None, audit.REDACTED]
        assert "pbkdf2" not in str(event.changes)


def test_snapshot_masks_identifier_columns_by_name():
    class Donorish:
        __audit_redact__ = {"phone"}

    item = Donorish()
    item.resident_id_key = "abc"
    item.phone = "13800000000"
    item.name = "王芳"
    shot = audit.snapshot(item, ["resident_id_key", "phone", "name"])
    assert shot == {"resident_id_key": "***", "phone": "***", "name": "王芳"}


def test_event_records_who_what_and_request_id(app, client, session, world):
    from tests.conftest import login

    login(client, "sca.admin")
    page = client.get("/admin/tokens")
    from tests.conftest import csrf_token_of

    token = csrf_token_of(page.get_data(as_text=True))
    response = client.post(
        "/admin/tokens",
        data={"name": "LIS", "csrf_token": token},
        headers={"X-Request-ID": "req-audit-1"},
    )
    assert response.status_code == 200
    session.expire_all()
    [event] = events(session, "api_token.create")
    assert event.actor_type == "user"
    assert event.actor_name == "sca.admin"
    assert event.organisation_code == event.actor_organisation_code == "S-CA"
    assert event.request_id == "req-audit-1"
    assert event.changes["name"] == [None, "LIS"]
    assert event.changes["token_hash"] == [None, audit.REDACTED]


def test_diff_lists_only_changed_fields():
    before = {"a": 1, "b": 2}
    after = {"a": 1, "b": 3, "c": 4}
    assert audit.diff(before, after) == {"b": [2, 3], "c": [None, 4]}


def test_verify_catches_an_edited_row(app, session, world):
    victim = events(session)[3]
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(actor_name="someone else")
    )
    session.expire_all()
    _checked, broken = audit.verify(session)
    assert broken is not None
    assert broken.seq == victim.seq
    assert "hash" in broken.reason


def test_verify_catches_a_deleted_row(app, session, world):
    victim = events(session)[5]
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == victim.id))
    session.expire_all()
    checked, broken = audit.verify(session)
    assert broken is not None
    assert broken.seq == victim.seq
    assert checked == victim.seq - 1


def test_verify_catches_a_recomputed_hash_on_an_edited_row(app, session, world):
    """Rewriting a row *and* its hash still breaks the link to the next row."""
    rows = events(session)
    victim = rows[2]
    victim.actor_name = "forged"
    victim.hash = victim.compute_hash()
    session.add(victim)
    session.flush()
    session.expire_all()
    _checked, broken = audit.verify(session)
    assert broken is not None
    assert broken.seq == rows[3].seq
    assert "prev_hash" in broken.reason


def test_cli_verify_exit_codes(app, runner, session, world):
    ok = runner.invoke(args=["blood", "audit-verify"])
    assert ok.exit_code == 0, ok.output
    assert f"intact: {len(events(session))} rows" in ok.output

    victim = events(session)[1]
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(action="user.tampered")
    )
    session.commit()
    bad = runner.invoke(args=["blood", "audit-verify"])
    assert bad.exit_code == 1
    assert f"BROKEN at seq {victim.seq} (row id {victim.id})" in bad.output


def test_concurrent_writers_keep_one_unbroken_chain(base_app, backend):
    """Real transactions on separate connections, committing at once (PostgreSQL: the advisory
    lock serialises them; SQLite: its single-writer lock does)."""
    database = get_db(base_app)
    writers, per_writer = 6, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with base_app.app_context(), Session(database.engine) as s:
                    audit.record(
                        s,
                        Actor.system(f"writer-{n}"),
                        "test.concurrent",
                        entity_type="test",
                        entity_id=f"{n}-{i}",
                    )
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        with Session(database.engine) as s:
            checked, broken = audit.verify(s)
            assert broken is None
            assert checked == writers * per_writer
            seqs = s.exec(select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
            assert seqs == list(range(1, writers * per_writer + 1))
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.delete(AuditEvent.__table__))


@pytest.mark.parametrize("field", ["seq", "prev_hash"])
def test_hash_covers_chain_fields(field):
    event = AuditEvent(
        seq=1,
        occurred_at=audit.utcnow(),
        actor_type="system",
        actor_name="x",
        action="a",
        changes={},
        prev_hash=audit.GENESIS_HASH,
    )
    original = event.compute_hash()
    setattr(event, field, 2 if field == "seq" else "f" * 64)
    assert event.compute_hash() != original
