"""A sender killed (SIGKILL) in the middle of a delivery, with real processes: the outbox
run by ``flask --app app blood deliver`` against its own SQLite file is killed while the
receiver holds its request; the delivery stays in flight, and the next run after the lease
sends it again — the receiver keeps the summary exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from blood import create_app, migrate
from blood.accounts.roles import AuthorityLevel, OrgKind
from blood.accounts.scoping import Actor
from blood.accounts.service import OrganisationInput, create_organisation
from blood.db import get_db
from blood.supervision.service.summaries import write_summaries
from blood.supervision.service.targets import TargetInput, create_target
from tests.conftest import TEST_CONFIG
from tests.supervision.push_helpers import Receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = "crash-test-secret-long-enough-32"
SYSTEM = Actor.system("tests")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _sender_database(tmp_path, receiver_url: str) -> str:
    url = f"sqlite:///{tmp_path / 'sender.sqlite3'}"
    migrate.upgrade(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    database = get_db(app)
    with app.app_context(), database.new_session() as session:
        create_organisation(
            session=session,
            actor=SYSTEM,
            data=OrganisationInput(
                code="ZJ",
                name_zh="浙江",
                name_en="Zhejiang",
                kind=OrgKind.AUTHORITY,
                level=AuthorityLevel.PROVINCE,
                division_code="330000",
            ),
        )
        create_target(
            session=session,
            actor=SYSTEM,
            authority_code="ZJ",
            data=TargetInput(name="ministry", url=receiver_url, format="native", secret=SECRET),
        )
        write_summaries(session=session, actor=SYSTEM, kind="daily", now=datetime.now(UTC))
        session.commit()
    database.engine.dispose()
    return url


def _deliver(url: str, **popen) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOOD_")}
    env.update(
        {
            "BLOOD_ENV": "testing",
            "BLOOD_DATABASE_URL": url,
            "BLOOD_PII_KEY": TEST_CONFIG["PII_KEY"],
            "BLOOD_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
            "BLOOD_PUSH_LEASE_SECONDS": "1",
            "BLOOD_PUSH_TIMEOUT_SECONDS": "30",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "blood", "deliver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _state(url: str) -> tuple[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return tuple(
                connection.execute(
                    sa.text("SELECT state, attempts FROM supervision_delivery")
                ).one()
            )
    finally:
        engine.dispose()


def test_a_sender_killed_mid_delivery_leaves_it_in_flight_and_the_next_run_dedups(tmp_path):
    release = threading.Event()
    arrived = threading.Event()

    def hold_the_first(receiver, headers, body):
        answer = receiver.keep(headers, body)
        if len(receiver.requests) == 1:
            arrived.set()
            receiver.lock.release()  # let the handler wait without blocking the next one
            try:
                release.wait(30)
            finally:
                receiver.lock.acquire()
        return answer

    with Receiver(hold_the_first, secret=SECRET) as receiver:
        url = _sender_database(tmp_path, receiver.url)
        sender = _deliver(url)
        try:
            assert arrived.wait(60), sender.stderr.read() if sender.poll() is not None else ""
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=20)
        finally:
            release.set()
        assert _state(url) == ("in_flight", 1)
        time.sleep(1.2)  # the lease (1 s) passes
        again = _deliver(url)
        out, err = again.communicate(timeout=60)
        assert again.returncode == 0, err
        assert "1 delivered" in out
    assert _state(url) == ("delivered", 2)
    assert len(receiver.requests) == 2
    assert len(receiver.kept) == 1 and receiver.duplicates == 1
