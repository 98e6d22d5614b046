"""What each job does, and which period it covers.

Jobs on an interval (today's indicators then alert evaluation, the expiry sweep, the outbox
delivery) are keyed by the interval's slot: the slots are aligned to a fixed instant, so every
scheduler — a restarted one, the standby that took over — counts the same slots, and a slot
done is not done again. Jobs of the calendar are checked every minute or so and run when
their period is due and not done yet, in each time zone the organisations use:

- ``indicators_final``: yesterday's indicators, computed once more after local midnight
  (``SCHEDULER_FINAL_RUN_AT``), keyed ``<day>|<zone>``;
- ``summaries_daily`` / ``_weekly`` / ``_monthly``: from ``SCHEDULER_SUMMARY_AT`` (06:00)
  local, the summaries of the day, the week (Monday to Sunday) and the month that ended,
  keyed ``<period>|<zone>``; a scheduler that was down at the time catches up when it comes
  back (the period stays due until it is done);
- ``prune_idempotency``: old idempotency keys forgotten, once a day (the default zone's).

Summaries and deliveries are another part of supervision (``service.summaries``,
``service.delivery``), imported when the job runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.supervision.scheduler.config import SchedulerConfig
from blood.supervision.scheduler.recording import SYSTEM, Outcome

# Interval slots count from this instant (a Monday, midnight UTC).
EPOCH = datetime(2000, 1, 3, tzinfo=UTC)
SUMMARY_KINDS = ("daily", "weekly", "monthly")


def slot_key(now: datetime, seconds: float) -> str:
    """The start of the interval slot `now` falls in, as the run's period key."""
    index = int((now - EPOCH).total_seconds() // seconds)
    start = EPOCH + timedelta(seconds=index * seconds)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(now: datetime, zone: str) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def final_day(now: datetime, zone: str, config: SchedulerConfig) -> date:
    """The last local day whose final run is due: yesterday once past the run's local time,
    the day before until then."""
    local = _local(now, zone)
    back = 1 if local.time() >= config.final_run_at else 2
    return local.date() - timedelta(days=back)


def summary_due(now: datetime, zone: str, config: SchedulerConfig) -> bool:
    """Summaries of a zone are written from the configured local time on."""
    return _local(now, zone).time() >= config.summary_at


def zones(session: Session, *, authorities: bool = False) -> list[str]:
    """The time zones of the organisations (or of the authorities only)."""
    statement = select(Organisation.timezone).distinct()
    if authorities:
        statement = statement.where(Organisation.kind == OrgKind.AUTHORITY)
    return sorted(z for z in session.exec(statement).all() if z)


def available(module: str, name: str) -> bool:
    """Whether a part of the system that a job calls is installed."""
    try:
        return hasattr(importlib.import_module(module), name)
    except ImportError:
        return False


# --- the work of each job: (session, now) -> rows or Outcome ---------------------------------


def indicators_today(session: Session, now: datetime) -> Outcome:
    from blood.supervision.service import compute_indicators

    result = compute_indicators(session=session, actor=SYSTEM, now=now)
    return Outcome(rows=result.facts, counts={"organisation_days": result.days})


def alerts(session: Session, now: datetime) -> Outcome:
    from blood.supervision.service import evaluate_alerts

    r = evaluate_alerts(session=session, actor=SYSTEM, now=now)
    return Outcome(
        rows=r.opened + r.updated + r.cleared,
        counts={
            "opened": r.opened,
            "changed": r.updated,
            "cleared": r.cleared,
            "active": r.active,
        },
    )


def indicators_final(day: date) -> Callable[[Session, datetime], Outcome]:
    def work(session: Session, now: datetime) -> Outcome:
        from blood.supervision.service import compute_indicators

        result = compute_indicators(session=session, actor=SYSTEM, day=day, now=now)
        return Outcome(rows=result.facts, counts={"organisation_days": result.days})

    return work


def expiry(session: Session, now: datetime) -> int:
    from blood.stock.service import expire_units

    return expire_units(session, now=now)


def prune_idempotency(days: int, job_run_days: int) -> Callable[[Session, datetime], Outcome]:
    """Old idempotency keys forgotten, and the job runs older than their retention."""

    def work(session: Session, _now: datetime) -> Outcome:
        from blood import idempotency
        from blood.supervision.service.jobs import prune_job_runs

        count = idempotency.prune(session, older_than=timedelta(days=days))
        runs = prune_job_runs(session=session, actor=SYSTEM, older_than_days=job_run_days)
        return Outcome(rows=count + runs, counts={"keys": count, "job_runs": runs})

    return work


def summaries(kind: str, zone: str | None = None) -> Callable[[Session, datetime], int]:
    """The `kind` summaries of the authorities of `zone` (every authority when None)."""

    def work(session: Session, now: datetime) -> int:
        from blood.supervision.service.summaries import write_summaries

        return write_summaries(session=session, actor=SYSTEM, kind=kind, now=now, zone=zone)

    return work


def deliveries(session: Session, now: datetime) -> Outcome:
    from blood.supervision.service.delivery import deliver_due

    result = deliver_due(session=session, actor=SYSTEM, now=now)
    if isinstance(result, int):
        return Outcome(rows=result)
    counts = {
        k: v
        for k, v in vars(result).items()
        if isinstance(v, int) and not isinstance(v, bool) and not k.startswith("_")
    }
    rows = counts.get("attempted", counts.get("claimed", sum(counts.values())))
    return Outcome(rows=rows, counts=counts)


@dataclass(frozen=True)
class Due:
    """A calendar job due now: its name, its period key and its work."""

    job: str
    period_key: str
    work: Callable[[Session, datetime], int | Outcome]


def final_runs_due(session: Session, now: datetime, config: SchedulerConfig) -> list[Due]:
    due = []
    for zone in zones(session):
        day = final_day(now, zone, config)
        due.append(Due("indicators_final", f"{day.isoformat()}|{zone}", indicators_final(day)))
    return due


def summaries_due(session: Session, now: datetime, config: SchedulerConfig) -> list[Due]:
    from blood.supervision.service.summaries import period_ended

    due = []
    for zone in zones(session, authorities=True):
        if not summary_due(now, zone, config):
            continue
        today = _local(now, zone).date()
        for kind in SUMMARY_KINDS:
            period = period_ended(kind, today)
            due.append(Due(f"summaries_{kind}", f"{period.label}|{zone}", summaries(kind, zone)))
    return due


def prune_due(_session: Session, now: datetime, config: SchedulerConfig) -> list[Due]:
    day = _local(now, config.default_timezone).date()
    return [
        Due(
            "prune_idempotency",
            day.isoformat(),
            prune_idempotency(config.idempotency_retention_days, config.job_run_retention_days),
        )
    ]


def daily_jobs_due(_session: Session, now: datetime, config: SchedulerConfig) -> list[Due]:
    """The daily jobs other packages registered (``blood.scheduled_jobs``), each once per
    local day of the default time zone from its time on."""
    from blood.scheduled_jobs import DAILY_JOBS

    local = _local(now, config.default_timezone)
    return [
        Due(job.name, local.date().isoformat(), job.work())
        for job in DAILY_JOBS.values()
        if local.time() >= job.at
    ]
