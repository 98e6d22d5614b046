"""One run of a job, recorded: a job of a period already done is not run again; otherwise the
run is written as started (committed), the work runs in a transaction of its own, and the run
is finished with its outcome (committed). A failure is recorded with its error and logged; it
never reaches the scheduler, which goes on with the next run."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask
from sqlmodel import Session

from blood import db
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.supervision.models import FAILED, SKIPPED, SUCCEEDED
from blood.supervision.service import jobs as runs

log = logging.getLogger(__name__)
SYSTEM = Actor.system("scheduler")


def this_host() -> str:
    """Which process ran a job: host name and process id."""
    return f"{socket.gethostname()} pid {os.getpid()}"[:120]


@dataclass(frozen=True)
class Outcome:
    """What a job's work reports: rows touched and named counts (recorded as the run's
    detail, ``opened=1 cleared=2``, which the page words in the reader's language);
    ``skipped`` when there was nothing it could do."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    @property
    def detail(self) -> str | None:
        return runs.counts_detail(self.counts)


Work = Callable[[Session, datetime], "int | Outcome"]


@contextmanager
def unit_of_work(app: Flask) -> Iterator[Session]:
    """A transaction of its own (an app context of its own: a session of its own)."""
    with app.app_context(), db.transaction() as session:
        yield session


def run_recorded(
    app: Flask,
    job: str,
    work: Work,
    *,
    period_key: str | None = None,
    still_leading: Callable[[], bool] = lambda: True,
    now: datetime | None = None,
    host: str | None = None,
) -> int | None:
    """Run `work` once as job `job` (for `period_key`), recording the run. Returns the run's
    id, or None when it was not run (the period is done, or this process no longer leads)."""
    now = now or utcnow()
    try:
        if period_key is not None:
            with unit_of_work(app) as session:
                if runs.already_done(session=session, actor=SYSTEM, job=job, period_key=period_key):
                    return None
        if not still_leading():
            log.warning("job %s not run: this scheduler no longer leads", job)
            return None
        with unit_of_work(app) as session:
            run_id = runs.start_run(
                session=session,
                actor=SYSTEM,
                job=job,
                period_key=period_key,
                host=host or this_host(),
                now=now,
            ).id
    except Exception:
        log.exception("job %s: its run could not be recorded", job)
        return None
    outcome, rows, detail = SUCCEEDED, 0, None
    try:
        with unit_of_work(app) as session:
            result = work(session, now)
        if isinstance(result, Outcome):
            rows, detail = result.rows, result.detail
            outcome = SKIPPED if result.skipped else SUCCEEDED
        else:
            rows = int(result or 0)
    except Exception as error:
        log.exception("job %s failed", job)
        outcome, detail = FAILED, runs.error_detail(error)
    try:
        with unit_of_work(app) as session:
            runs.finish_run(
                session=session,
                actor=SYSTEM,
                run_id=run_id,
                outcome=outcome,
                rows=rows,
                detail=detail,
            )
    except Exception:
        log.exception("job %s: the end of run %s could not be recorded", job, run_id)
    else:
        log.info("job %s %s: %s rows%s", job, outcome, rows, f" ({detail})" if detail else "")
    return run_id
