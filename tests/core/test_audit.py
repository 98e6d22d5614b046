"""The audit log: every write recorded, secrets masked, and tampering caught by verify."""

from __future__ import annotations

import threading
from itertools import pairwise

import pytest
import sqlalchemy as sa
from sqlmodel import select

from blood import audit
from blood.accounts.scoping import Actor
from blood.audit import AuditEvent
from blood.db import get_db


def events(session, action=None):
    statement = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        statement = statement.where(AuditEvent.action == action)
    return session.exec(statement).all()


def test_every_world_write_is_recorded_and_chain_is_intact(app, session, world):
    created_users = events(session, "user.create")
    assert {e.entity_id for e in created_users} == {str(u.id) for u in world.users.values()}
    assert len(events(session, "organisation.create")) == len(world.orgs)
    result = audit.verify(session)
    assert result.intact, result.breaks
    assert result.checked == len(events(session))


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


def verify(session, **options):
    return audit.verify(session, **options)


def chain_rows(session, chain):
    return session.exec(
        select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
    ).all()


def test_each_organisation_has_its_own_gapless_chain(app, session, world):
    station = world.org("S-CA").id
    rows = chain_rows(session, station)
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert {r.organisation_id for r in rows} == {station}
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(rows))


def test_verify_catches_an_edited_row(app, session, world):
    chain = world.org("S-CA").id
    victim = chain_rows(session, chain)[3]
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(actor_name="someone else")
    )
    session.expire_all()
    [broken] = verify(session).breaks
    assert (broken.chain, broken.seq) == (chain, victim.seq)
    assert "hash" in broken.reason


def test_verify_catches_a_deleted_row(app, session, world):
    chain = world.org("S-CA").id
    victim = chain_rows(session, chain)[2]
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == victim.id))
    session.expire_all()
    [broken] = verify(session).breaks
    assert (broken.chain, broken.seq) == (chain, victim.seq)
    assert "missing" in broken.reason


def test_verify_catches_a_recomputed_hash_on_an_edited_row(app, session, world):
    """Rewriting a row *and* its hash still breaks the link to the next row."""
    rows = chain_rows(session, world.org("S-CA").id)
    victim = rows[1]
    victim.actor_name = "forged"
    victim.hash = victim.compute_hash()
    session.add(victim)
    session.flush()
    session.expire_all()
    [broken] = verify(session).breaks
    assert broken.seq == rows[2].seq
    assert "prev_hash" in broken.reason


def test_a_break_in_one_chain_leaves_the_others_verified(app, session, world):
    victim = chain_rows(session, world.org("S-CA").id)[0]
    session.execute(sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(action="x"))
    session.expire_all()
    result = verify(session)
    assert [b.chain for b in result.breaks] == [world.org("S-CA").id]
    assert result.checked > len(chain_rows(session, world.org("S-CA").id))


def test_a_resumed_run_checks_only_rows_after_the_signed_checkpoints(app, session, world):
    key = b"k" * 32
    first = verify(session, signing_key=key, resume=True)
    assert first.intact and first.checked == len(events(session))
    session.flush()
    with app.app_context():
        audit.record(session, Actor.system("tests"), "test.later", organisation=world.org("BC"))
        session.commit()
    second = verify(session, signing_key=key, resume=True)
    assert second.intact and second.checked == 1


def test_a_resumed_run_notices_a_truncated_chain(app, session, world):
    key = b"k" * 32
    assert verify(session, signing_key=key, resume=True).intact
    chain = world.org("S-CA").id
    newest = chain_rows(session, chain)[-1]
    session.execute(sa.delete(AuditEvent).where(AuditEvent.id == newest.id))
    session.expire_all()
    [broken] = verify(session, signing_key=key, resume=True).breaks
    assert broken.chain == chain and "deleted" in broken.reason


def test_a_forged_checkpoint_is_refused(app, session, world):
    key = b"k" * 32
    assert verify(session, signing_key=key, resume=True).intact
    point = session.exec(select(audit.AuditCheckpoint)).first()
    point.seq = 1
    session.add(point)
    session.flush()
    breaks = verify(session, signing_key=key, resume=True).breaks
    assert any("signature" in b.reason for b in breaks)


def test_rows_of_a_rolled_back_savepoint_leave_no_gap(app, session, world):
    chain = world.org("BC").id
    before = len(chain_rows(session, chain))
    with app.app_context():
        try:
            with session.begin_nested():
                audit.record(
                    session, Actor.system("t"), "test.undone", organisation=world.org("BC")
                )
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        audit.record(session, Actor.system("t"), "test.kept", organisation=world.org("BC"))
        session.commit()
    rows = chain_rows(session, chain)
    assert [r.action for r in rows[before:]] == ["test.kept"]
    assert verify(session).intact


def test_cli_verify_exit_codes(app, runner, session, world):
    ok = runner.invoke(args=["blood", "audit-verify", "--full"])
    assert ok.exit_code == 0, ok.output
    assert f"{len(events(session))} rows checked from the start" in ok.output

    victim = chain_rows(session, world.org("H-HZ").id)[1]
    session.execute(
        sa.update(AuditEvent).where(AuditEvent.id == victim.id).values(action="user.tampered")
    )
    session.commit()
    bad = runner.invoke(args=["blood", "audit-verify", "--full"])
    assert bad.exit_code == 1
    assert f"BROKEN at seq {victim.seq} (row id {victim.id})" in bad.output


@pytest.mark.parametrize("same_organisation", [True, False])
def test_concurrent_writers_keep_unbroken_chains(base_app, backend, same_organisation):
    """Real transactions on separate connections, committing at once (PostgreSQL: the
    per-chain advisory lock at sealing serialises writers of one chain; SQLite: its single
    writer lock does). With the lock switched off, writers of one chain fork it."""
    database = get_db(base_app)
    writers, per_writer = 6, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    class Org:  # audit rows keep the organisation's id and code, not a foreign key
        def __init__(self, n):
            self.id, self.code = (7 if same_organisation else 7 + n), f"ORG{n}"

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with (
                    base_app.app_context(),
                    get_db(base_app).new_session(bind=database.engine) as s,
                ):
                    audit.record(
                        s,
                        Actor.system(f"writer-{n}"),
                        "test.concurrent",
                        entity_type="test",
                        entity_id=f"{n}-{i}",
                        organisation=Org(n),
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
        with get_db(base_app).new_session(bind=database.engine) as s:
            result = audit.verify(s)
            assert result.intact, result.breaks
            assert result.checked == writers * per_writer
            seqs = s.exec(select(AuditEvent.seq).where(AuditEvent.chain == 7)).all()
            expected = writers * per_writer if same_organisation else per_writer
            assert sorted(seqs) == list(range(1, expected + 1))
    finally:
        with database.engine.begin() as connection:
            connection.execute(sa.delete(AuditEvent.__table__))


@pytest.mark.parametrize("field", ["chain", "seq", "prev_hash"])
def test_hash_covers_chain_fields(field):
    event = AuditEvent(
        chain=3,
        seq=1,
        occurred_at=audit.utcnow(),
        actor_type="system",
        actor_name="x",
        action="a",
        changes={},
        prev_hash=audit.GENESIS_HASH,
    )
    original = event.compute_hash()
    setattr(event, field, "f" * 64 if field == "prev_hash" else 2)
    assert event.compute_hash() != original
