"""The scheduler as real processes on one machine: two started at once run every job once per
period (one leads, one stands by), and the standby takes over when the leader is killed.

Each test gets a database of its own (the SQLite file of a temporary instance, or a throwaway
PostgreSQL database when BLOOD_TEST_DATABASE_URL is set) holding one authority, and
schedulers configured with intervals of a second (``BLOOD_SCHEDULER_*``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from blood import create_app, migrate
from blood.db import get_db
from tests.conftest import TEST_CONFIG, backends

ROOT = Path(__file__).resolve().parents[2]
FAST = {
    "BLOOD_SCHEDULER_INDICATORS_SECONDS": "1",
    "BLOOD_SCHEDULER_EXPIRY_SECONDS": "1",
    "BLOOD_SCHEDULER_DELIVERY_SECONDS": "1",
    "BLOOD_SCHEDULER_CALENDAR_SECONDS": "1",
    "BLOOD_SCHEDULER_LOCK_RETRY_SECONDS": "0.5",
    "BLOOD_SCHEDULER_LOCK_CHECK_SECONDS": "0.5",
    # Summaries due at any hour, so the daily, weekly and monthly jobs run in the test too.
    "BLOOD_SCHEDULER_SUMMARY_AT": '"00:00"',
}
RUNS = sa.text("SELECT job, period_key, outcome, host FROM supervision_job_run ORDER BY id")


@pytest.fixture(params=backends())
def instance(request, tmp_path, fresh_database):
    """A migrated database with one authority, and the environment of schedulers on it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'blood.sqlite3'}"
    else:
        url = fresh_database(request.param)
    migrate.upgrade(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    from blood import db
    from blood.accounts.roles import AuthorityLevel, OrgKind
    from blood.accounts.scoping import Actor
    from blood.accounts.service import OrganisationInput, create_organisation

    with app.app_context(), db.transaction() as session:
        create_organisation(
            session=session,
            actor=Actor.system("tests"),
            data=OrganisationInput(
                code="ZJ",
                name_zh="浙江省卫生健康委员会",
                name_en="Zhejiang Health Commission",
                kind=OrgKind.AUTHORITY,
                level=AuthorityLevel.PROVINCE,
                division_code="330000",
            ),
        )
    get_db(app).engine.dispose()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")},
        **FAST,
        "BLOOD_ENV": "testing",
        "BLOOD_INSTANCE_PATH": str(tmp_path),
        "BLOOD_DATABASE_URL": url,
    }
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"scheduler-{len(started)}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "blood", "scheduler"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    def runs() -> list[tuple]:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(RUNS)]

    yield start, runs
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    engine.dispose()


def _host_of(process: subprocess.Popen) -> str:
    return f" pid {process.pid}"


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} within {seconds} s")


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=15)


def test_two_schedulers_started_at_once_run_every_job_once_per_period(instance):
    start, runs = instance
    first, second = start(), start()
    # Wait until several slots of the one-second jobs have passed.
    _wait_for(
        lambda: sum(1 for r in runs() if r[0] == "indicators" and r[2] == "succeeded") >= 4,
        45,
        "four runs of today's indicators",
    )
    # Both at once: stopped one after the other, the standby would take the lead meanwhile.
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    assert first.wait(timeout=15) == 0 and second.wait(timeout=15) == 0  # both stop cleanly
    found = runs()
    per_period = Counter((job, key) for job, key, _outcome, _host in found)
    assert [p for p, n in per_period.items() if n > 1] == []  # no period run twice
    jobs = {job for job, *_ in found}
    expected = {"indicators", "alerts", "expiry", "indicators_final", "prune_idempotency"}
    assert expected <= jobs, jobs
    if "summaries_daily" in jobs:  # the summaries exist in this build
        for kind in ("summaries_daily", "summaries_weekly", "summaries_monthly"):
            assert sum(1 for job, *_ in found if job == kind) == 1
    assert sum(1 for job, *_ in found if job == "indicators_final") == 1
    assert {outcome for *_, outcome, _host in found} == {"succeeded"}
    # One process led and ran everything; the other only stood by.
    leaders = {host.rsplit(" pid ", 1)[1] for *_, host in found}
    assert len(leaders) == 1
    assert leaders <= {str(first.pid), str(second.pid)}


def test_the_standby_takes_over_within_a_minute_when_the_leader_is_killed(instance):
    start, runs = instance
    leader = start()
    _wait_for(lambda: any(r[3].endswith(_host_of(leader)) for r in runs()), 45, "the first leads")
    standby = start()
    time.sleep(2)  # the standby is up and waiting
    assert not any(r[3].endswith(_host_of(standby)) for r in runs())
    before = len(runs())
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=10)
    killed_at = time.monotonic()
    _wait_for(
        lambda: any(r[3].endswith(_host_of(standby)) for r in runs()[before:]),
        60,
        "the standby runs jobs",
    )
    took = time.monotonic() - killed_at
    assert took < 60
    # The new leader goes on where the old one stopped: still no period run twice.
    _wait_for(
        lambda: sum(1 for r in runs()[before:] if r[0] == "indicators") >= 2,
        30,
        "the new leader's second slot",
    )
    assert _stop(standby) == 0
    found = runs()
    per_period = Counter((job, key) for job, key, outcome, _h in found if outcome == "succeeded")
    assert [p for p, n in per_period.items() if n > 1] == []
    # A run the killed leader left "running" was closed by the new leader.
    assert not any(outcome == "running" for _j, _k, outcome, _h in found)
