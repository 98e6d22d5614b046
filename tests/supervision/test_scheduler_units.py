"""The scheduler's parts, one by one: the leader lock (a file lock on SQLite, an advisory lock
on a connection of its own on PostgreSQL), the recording of job runs, the periods the jobs
cover, and the administrators' page of job runs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.supervision.models import FAILED, RUNNING, SUCCEEDED, JobRun
from blood.supervision.scheduler import jobs
from blood.supervision.scheduler.config import SchedulerConfig
from blood.supervision.scheduler.lock import FileLock, PostgresLock
from blood.supervision.scheduler.recording import Outcome, run_recorded
from blood.supervision.service import jobs as job_runs
from tests.conftest import PASSWORD, login

# --- the lock ---------------------------------------------------------------------------------


def test_a_file_lock_is_held_by_one_holder_at_a_time(tmp_path):
    first, second = FileLock(tmp_path / "s.lock"), FileLock(tmp_path / "s.lock")
    assert first.acquire()
    assert first.held()
    assert not second.acquire()
    first.release()
    assert not first.held()
    assert second.acquire()
    second.release()


def test_a_file_lock_removed_from_under_its_holder_is_no_longer_held(tmp_path):
    path = tmp_path / "s.lock"
    holder = FileLock(path)
    assert holder.acquire()
    path.unlink()
    assert not holder.held()
    other = FileLock(path)
    assert other.acquire()  # a new file, a new lock: the old holder knows it lost the lead
    other.release()


@pytest.fixture
def pg_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the advisory lock is PostgreSQL's")
    return database_url


def test_an_advisory_lock_is_held_by_one_session_at_a_time(pg_url):
    first, second = PostgresLock(pg_url, key=4242), PostgresLock(pg_url, key=4242)
    try:
        assert first.acquire()
        assert first.held()
        assert not second.acquire()
        first.release()
        assert second.acquire()
        assert second.held()
    finally:
        first.release()
        second.release()


def test_an_advisory_lock_whose_connection_is_lost_is_no_longer_held(pg_url):
    holder, standby = PostgresLock(pg_url, key=4343), PostgresLock(pg_url, key=4343)
    killer = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    try:
        assert holder.acquire()
        pid = holder._connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert not holder.held()
        assert standby.acquire()
    finally:
        holder.release()
        standby.release()
        killer.dispose()


def test_the_lock_is_on_a_connection_outside_the_apps_pool(app, pg_url):
    from blood.db import get_db

    pool = get_db(app).engine.pool
    before = pool.checkedout()
    lock = PostgresLock(pg_url, key=4444)
    try:
        assert lock.acquire()
        assert pool.checkedout() == before
        assert lock._engine is not get_db(app).engine
    finally:
        lock.release()


# --- recording --------------------------------------------------------------------------------


def _runs(session, job):
    session.expire_all()
    return session.exec(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)).all()


def test_a_run_is_recorded_with_its_outcome_rows_and_host(app, session):
    run_id = run_recorded(
        app,
        "expiry",
        lambda _session, _now: Outcome(rows=3, counts={"opened": 2}),
        period_key="2026-12-03T10:15:00Z",
        host="host-a pid 1",
    )
    [run] = _runs(session, "expiry")
    assert run.id == run_id
    assert (run.outcome, run.rows, run.detail, run.host) == (
        SUCCEEDED,
        3,
        "opened=2",
        "host-a pid 1",
    )
    assert run.period_key == "2026-12-03T10:15:00Z"
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_a_job_of_a_period_done_is_not_run_again(app, session):
    calls = []

    def work(_session, _now):
        calls.append(1)
        return 1

    day, next_day = "2026-12-03|Asia/Shanghai", "2026-12-04|Asia/Shanghai"
    assert run_recorded(app, "indicators_final", work, period_key=day)
    assert run_recorded(app, "indicators_final", work, period_key=day) is None
    assert run_recorded(app, "indicators_final", work, period_key=next_day)
    assert len(calls) == 2
    assert [r.period_key for r in _runs(session, "indicators_final")] == [
        "2026-12-03|Asia/Shanghai",
        "2026-12-04|Asia/Shanghai",
    ]


def test_a_failure_is_recorded_with_its_error_its_work_undone_and_the_period_still_due(
    app, session, world
):
    from blood.accounts.models import Organisation

    def work(work_session, _now):
        org = work_session.get(Organisation, world.org("ZJ").id)
        org.name_en = "renamed by a job that then fails"
        work_session.add(org)
        work_session.flush()
        raise RuntimeError("the receiver said no")

    run_recorded(app, "summaries_daily", work, period_key="2026-12-03|Asia/Shanghai")
    [run] = _runs(session, "summaries_daily")
    assert run.outcome == FAILED
    assert run.detail == "RuntimeError: the receiver said no"
    assert run.finished_at is not None
    session.expire_all()
    assert session.get(Organisation, world.org("ZJ").id).name_en == "ZJ organisation"
    # A failed period is not done: the next check runs it again.
    assert run_recorded(app, "summaries_daily", lambda s, n: 0, period_key=run.period_key)
    assert [r.outcome for r in _runs(session, "summaries_daily")] == [FAILED, SUCCEEDED]


def test_a_scheduler_that_no_longer_leads_runs_nothing(app, session):
    calls = []
    result = run_recorded(
        app, "expiry", lambda s, n: calls.append(1) or 0, still_leading=lambda: False
    )
    assert result is None and calls == [] and _runs(session, "expiry") == []


def test_runs_left_running_by_a_dead_leader_are_closed_as_interrupted(app, session):
    session.add(JobRun(job="indicators", outcome=RUNNING, host="gone pid 9"))
    session.commit()
    with app.app_context():
        closed = job_runs.close_interrupted_runs(session=session, actor=Actor.system("t"))
        session.commit()
    assert closed == 1
    [run] = _runs(session, "indicators")
    assert run.outcome == FAILED and run.detail == job_runs.INTERRUPTED


def test_only_the_system_records_runs(app, session, world):
    from blood.errors import Forbidden

    admin = Actor.for_organisation("user", 1, "p.admin", world.org("ZJ"), ["org_admin"])
    with app.app_context(), pytest.raises(Forbidden):
        job_runs.start_run(session=session, actor=admin, job="expiry", period_key=None, host="x")


# --- periods ----------------------------------------------------------------------------------


def test_interval_slots_are_aligned_so_every_scheduler_counts_the_same_ones():
    at = datetime(2026, 12, 3, 10, 29, 59, tzinfo=UTC)
    assert jobs.slot_key(at, 900) == "2026-12-03T10:15:00Z"
    assert jobs.slot_key(at + timedelta(seconds=1), 900) == "2026-12-03T10:30:00Z"
    assert jobs.slot_key(at, 60) == "2026-12-03T10:29:00Z"


def test_yesterdays_final_run_is_due_after_the_configured_local_time():
    config = SchedulerConfig(final_run_at=time(0, 10))
    # 00:05 in Shanghai on 4 December (16:05 UTC on the 3rd): the 3rd is not final yet.
    early = datetime(2026, 12, 3, 16, 5, tzinfo=UTC)
    assert jobs.final_day(early, "Asia/Shanghai", config).isoformat() == "2026-12-02"
    late = datetime(2026, 12, 3, 16, 15, tzinfo=UTC)
    assert jobs.final_day(late, "Asia/Shanghai", config).isoformat() == "2026-12-03"
    # The same instant is still the 3rd in Urumqi (UTC+6): its final day is the 2nd.
    assert jobs.final_day(late, "Asia/Urumqi", config).isoformat() == "2026-12-02"


def test_summaries_are_due_from_the_configured_local_time():
    config = SchedulerConfig(summary_at=time(6, 0))
    assert not jobs.summary_due(datetime(2026, 12, 6, 21, 59, tzinfo=UTC), "Asia/Shanghai", config)
    assert jobs.summary_due(datetime(2026, 12, 6, 22, 0, tzinfo=UTC), "Asia/Shanghai", config)


def test_the_configuration_is_read_from_the_scheduler_keys():
    config = SchedulerConfig.from_config(
        {"SCHEDULER_INDICATORS_SECONDS": 2, "SCHEDULER_SUMMARY_AT": "07:30"}
    )
    assert config.indicators_seconds == 2 and config.summary_at == time(7, 30)
    with pytest.raises(ValueError):
        SchedulerConfig.from_config({"SCHEDULER_FINAL_RUN_AT": "midnight"})


# --- the page ---------------------------------------------------------------------------------


def _record(session, **values):
    run = JobRun(**values)
    session.add(run)
    session.commit()
    return run


def test_the_administrator_sees_the_runs_newest_first_in_words(client, session, world):
    start = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    _record(
        session,
        job="alerts",
        period_key="2026-12-03T02:00:00Z",
        started_at=start,
        finished_at=start + timedelta(seconds=2),
        outcome=SUCCEEDED,
        rows=3,
        detail="opened=2 cleared=1",
        host="host-a pid 1",
    )
    _record(
        session,
        job="summaries_daily",
        period_key="2026-12-02|Asia/Shanghai",
        started_at=start + timedelta(hours=4),
        outcome=FAILED,
        detail="RuntimeError: the receiver said no",
        host="host-a pid 1",
    )
    login(client, "p.admin")
    page = client.get("/supervision/jobs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = html.split("<tbody>")[1]
    assert rows.index("Daily summaries") < rows.index("Alert evaluation")  # newest first
    assert "opened: 2 · cleared: 1" in rows
    assert "2026-12-02 (Asia/Shanghai)" in rows
    assert "RuntimeError: the receiver said no" in rows
    assert "summaries_daily" not in rows and "opened=2" not in rows  # words, not codes
    assert 'href="/supervision/jobs"' in html  # in the menu


def test_the_runs_filter_by_job_and_outcome_and_come_in_pages(client, session, world):
    start = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    for n in range(55):
        _record(
            session,
            job="expiry",
            started_at=start + timedelta(minutes=n),
            outcome=SUCCEEDED,
            rows=n,
            host="h",
        )
    _record(session, job="deliveries", started_at=start, outcome=FAILED, detail="boom", host="h")
    login(client, "p.admin")
    failed = client.get("/supervision/jobs?outcome=failed").get_data(as_text=True)
    assert "boom" in failed and "Expiry sweep" not in failed.split("<tbody>")[1]
    first = client.get("/supervision/jobs?job=expiry").get_data(as_text=True)
    assert "Outbox delivery" not in first.split("<tbody>")[1]
    assert "Page 1 of 2 (55 in all)" in first
    second = client.get("/supervision/jobs?job=expiry&page=2").get_data(as_text=True)
    assert second.split("<tbody>")[1].count("<tr") == 5
    assert client.get("/supervision/jobs?outcome=bogus").status_code == 422


def test_only_the_top_authoritys_administrator_sees_the_runs(app, client, session, world):
    from blood.accounts.service import create_user

    with app.app_context():
        create_user(
            session=session,
            actor=Actor.system("tests"),
            organisation=world.org("HZ"),
            username="hz.admin",
            display_name="hz.admin",
            password=PASSWORD,
            roles=[Role.ORG_ADMIN.value],
            locale="en",
        )
        session.commit()
    for username in ("hz.admin", "p.inspector", "sca.admin"):
        fresh = app.test_client()
        login(fresh, username)
        assert fresh.get("/supervision/jobs").status_code == 403, username
        assert 'href="/supervision/jobs"' not in fresh.get("/").get_data(as_text=True)


def test_the_daily_prune_forgets_old_job_runs_and_keeps_recent_ones(app, session):
    now = datetime.now(UTC)
    old = JobRun(
        job="deliveries",
        started_at=now - timedelta(days=100),
        finished_at=now - timedelta(days=100),
        outcome=SUCCEEDED,
    )
    recent = JobRun(
        job="deliveries",
        started_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1),
        outcome=SUCCEEDED,
    )
    running = JobRun(job="alerts", started_at=now - timedelta(days=200), outcome=RUNNING)
    session.add_all([old, recent, running])
    session.commit()
    with app.app_context():
        outcome = jobs.prune_idempotency(30, 90)(session, now)
        session.commit()
    assert outcome.counts["job_runs"] == 1
    left = {r.id for r in session.exec(select(JobRun)).all()}
    assert left == {recent.id, running.id}
