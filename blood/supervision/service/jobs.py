"""The scheduler's job runs: recorded by the scheduler process (``blood.supervision.scheduler``)
and read by the administrators' page.

Recording: a run is written when it starts (outcome "running"), then finished with its
outcome, the rows it touched and a detail (the error of a failure). The scheduler commits
each step in its own transaction, so a run that dies half-way still shows as started, and a
failed job's rollback does not take its record with it.

A job that covers a period (a local day, a week, a month, an interval's slot) carries a
``period_key``; once a run of that job and period succeeded, it is not run again
(``already_done``) — whether by this scheduler, a restarted one or the standby that took over.

Reading: the runs describe the deployment's processes, not any organisation's records, and
their details can name any organisation of the instance; so they are shown to the
administrator (``org_admin``) of the authority at the top of the instance's tree, and to no
one else (``may_see_job_runs``: the menu that shows the page and the page ask the same).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Forbidden
from blood.pagination import Page, PageRequest, fetch_page
from blood.supervision.models import FAILED, JOB_OUTCOMES, RUNNING, SUCCEEDED, JobRun

# The scheduler's jobs, as an administrator reads them.
JOB_NAMES = {
    "indicators": _l("Today's indicators"),
    "alerts": _l("Alert evaluation"),
    "indicators_final": _l("Yesterday's indicators (final run)"),
    "expiry": _l("Expiry sweep"),
    "summaries_daily": _l("Daily summaries"),
    "summaries_weekly": _l("Weekly summaries"),
    "summaries_monthly": _l("Monthly summaries"),
    "deliveries": _l("Outbox delivery"),
    "prune_idempotency": _l("Forgetting old idempotency keys"),
    "forecast": _l("Demand forecast and projected shortages"),
}
OUTCOME_WORDS = {
    "running": _l("Running"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
    "skipped": _l("Skipped"),
}
# The named counts a run records (``opened=1 cleared=2``), as an administrator reads them.
COUNT_WORDS = {
    "organisation_days": _l("organisation-days: %(n)s"),
    "opened": _l("opened: %(n)s"),
    "changed": _l("changed severity: %(n)s"),
    "cleared": _l("cleared: %(n)s"),
    "active": _l("active: %(n)s"),
    "retention_days": _l("kept for %(n)s days"),
    "keys": _l("idempotency keys forgotten: %(n)s"),
    "job_runs": _l("job runs forgotten: %(n)s"),
    "claimed": _l("taken from the outbox: %(n)s"),
    "delivered": _l("delivered: %(n)s"),
    "retrying": _l("to retry: %(n)s"),
    "dead": _l("dead letters: %(n)s"),
}
_COUNT = re.compile(r"^(\w+)=(-?\d+)$")
DETAIL_MAX = 2000
INTERRUPTED = "interrupted: the scheduler running it stopped"


def job_name(job: str) -> str:
    return str(JOB_NAMES.get(job, job))


def outcome_word(outcome: str) -> str:
    return str(OUTCOME_WORDS.get(outcome, outcome))


# --- recording (the scheduler, with the system actor) -----------------------------------------


def _require_system(actor: Actor) -> None:
    if not actor.is_system:
        raise Forbidden()


def already_done(*, session: Session, actor: Actor, job: str, period_key: str) -> bool:
    """Whether a run of `job` for `period_key` succeeded already."""
    _require_system(actor)
    found = session.exec(
        select(JobRun.id).where(
            JobRun.job == job, JobRun.period_key == period_key, JobRun.outcome == SUCCEEDED
        )
    ).first()
    return found is not None


def start_run(
    *,
    session: Session,
    actor: Actor,
    job: str,
    period_key: str | None,
    host: str,
    now: datetime | None = None,
) -> JobRun:
    """Record that a run begins (outcome "running")."""
    _require_system(actor)
    run = JobRun(
        job=job, period_key=period_key, started_at=now or utcnow(), outcome=RUNNING, host=host
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    *,
    session: Session,
    actor: Actor,
    run_id: int,
    outcome: str,
    rows: int = 0,
    detail: str | None = None,
    now: datetime | None = None,
) -> JobRun:
    """Record how a run ended: its outcome, the rows it touched, a detail (a failure's error)."""
    _require_system(actor)
    if outcome not in JOB_OUTCOMES or outcome == RUNNING:
        raise ValueError(f"not an outcome a run ends with: {outcome!r}")
    run = session.get(JobRun, run_id)
    if run is None:
        raise LookupError(f"no job run {run_id}")
    run.finished_at = now or utcnow()
    run.outcome = outcome
    run.rows = int(rows or 0)
    run.detail = detail[:DETAIL_MAX] if detail else None
    session.add(run)
    session.flush()
    return run


def close_interrupted_runs(*, session: Session, actor: Actor, now: datetime | None = None) -> int:
    """Close as failed the runs still "running": a new leader starts only once the previous
    one is gone, so nothing runs them any more."""
    _require_system(actor)
    left = session.exec(select(JobRun).where(JobRun.outcome == RUNNING)).all()
    for run in left:
        run.outcome = FAILED
        run.finished_at = now or utcnow()
        run.detail = INTERRUPTED
        session.add(run)
    session.flush()
    return len(left)


def counts_detail(counts: dict[str, int]) -> str | None:
    """Named counts as a run's detail: ``opened=1 cleared=2``."""
    return " ".join(f"{k}={int(v)}" for k, v in counts.items()) or None


def detail_words(detail: str | None) -> str:
    """A run's detail for the page: named counts in the reader's language, an error as it
    was recorded."""
    if not detail:
        return ""
    parts = [_COUNT.match(token) for token in detail.split()]
    if not all(parts):
        return detail
    words = []
    for match in parts:
        name, value = match.group(1), match.group(2)
        word = COUNT_WORDS.get(name)
        words.append(str(word) % {"n": value} if word is not None else f"{name}: {value}")
    return " · ".join(words)


def error_detail(error: BaseException) -> str:
    """A failure's error, as the run records it."""
    text = str(error).strip()
    return f"{type(error).__name__}: {text}"[:DETAIL_MAX] if text else type(error).__name__


# --- reading (the administrators' page) -------------------------------------------------------


def may_see_job_runs(actor: Actor | None) -> bool:
    """The administrator of the authority at the top of this instance's tree (its path holds
    one id: ``/1/``), or the system."""
    if actor is None:
        return False
    if actor.is_system:
        return True
    path = actor.organisation_path or ""
    return (
        actor.organisation_kind == OrgKind.AUTHORITY
        and actor.has_role(Role.ORG_ADMIN)
        and path.count("/") == 2
    )


@dataclass(frozen=True)
class JobRunView:
    run: JobRun

    @property
    def name(self) -> str:
        return job_name(self.run.job)

    @property
    def outcome(self) -> str:
        return outcome_word(self.run.outcome)

    @property
    def detail(self) -> str:
        return detail_words(self.run.detail)

    @property
    def period(self) -> str:
        """The period a run covered, without its code: ``2026-12-03 (Asia/Shanghai)``; an
        interval's slot reads as its start (see ``slot_start``)."""
        key = self.run.period_key or ""
        if "|" in key:
            label, zone = key.split("|", 1)
            return f"{label} ({zone})"
        return "" if self.slot_start is not None else key

    @property
    def slot_start(self) -> datetime | None:
        key = self.run.period_key or ""
        if not key.endswith("Z"):
            return None
        try:
            return datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None

    @property
    def seconds(self) -> float | None:
        if self.run.finished_at is None:
            return None
        started, finished = self.run.started_at, self.run.finished_at
        if (started.tzinfo is None) != (finished.tzinfo is None):
            started, finished = started.replace(tzinfo=None), finished.replace(tzinfo=None)
        return max(0.0, (finished - started).total_seconds())


def list_job_runs(
    *,
    session: Session,
    actor: Actor,
    page: PageRequest,
    job: str | None = None,
    outcome: str | None = None,
) -> Page[JobRunView]:
    """Recent runs, newest first, optionally of one job and one outcome."""
    if not may_see_job_runs(actor):
        raise Forbidden()
    statement = select(JobRun)
    if job:
        statement = statement.where(JobRun.job == job)
    if outcome:
        statement = statement.where(JobRun.outcome == outcome)
    statement = statement.order_by(JobRun.started_at.desc(), JobRun.id.desc())
    found = fetch_page(session, statement, page)
    return Page([JobRunView(r) for r in found.items], found.page, found.size, found.total)


def prune_job_runs(*, session: Session, actor: Actor, older_than_days: int) -> int:
    """Forget the runs that finished more than `older_than_days` ago (the outbox alone
    records one a minute)."""

    _require_system(actor)
    cutoff = utcnow() - timedelta(days=older_than_days)
    result = session.execute(
        sa.delete(JobRun).where(JobRun.finished_at.is_not(None), JobRun.finished_at < cutoff)
    )
    return int(result.rowcount or 0)
