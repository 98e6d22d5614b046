"""The scheduler process's loop: stand by until the lock is ours, lead, stand by again.

Leading: a blocking scheduler (APScheduler 3) runs the jobs — each at most one at a time
(``max_instances=1``), missed runs coalesced into one (``coalesce=True``), a run more than
``SCHEDULER_MISFIRE_GRACE_SECONDS`` late dropped (its slot or period is caught up by the next
run: see ``jobs``). A watcher on an executor of its own checks every few seconds that the lock
is still held; when it is not (the lock's database connection was lost), no further job
starts, the scheduler stops, and the process stands by again. Runs left "running" by a leader
that died are closed as failed when a new leader starts.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from blood.db import utcnow
from blood.supervision.scheduler import jobs
from blood.supervision.scheduler.config import SchedulerConfig
from blood.supervision.scheduler.lock import LeaderLock, lock_for
from blood.supervision.scheduler.recording import (
    SYSTEM,
    run_recorded,
    this_host,
    unit_of_work,
)
from blood.supervision.service import jobs as runs

log = logging.getLogger(__name__)

SUMMARIES = ("blood.supervision.service.summaries", "write_summaries")
DELIVERY = ("blood.supervision.service.delivery", "deliver_due")


@dataclass
class Leadership:
    """Whether this process leads now (set by the watcher, read before every run)."""

    leading: threading.Event = field(default_factory=threading.Event)
    lost: bool = False

    def __call__(self) -> bool:
        return self.leading.is_set()


class Scheduler:
    def __init__(self, app: Flask, config: SchedulerConfig, lock: LeaderLock | None = None):
        self.app = app
        self.config = config
        self.lock = lock or lock_for(app.config["DATABASE_URL"], app.instance_path)
        self.host = this_host()
        self.leadership = Leadership()
        self._stopping = threading.Event()
        self._scheduler: BlockingScheduler | None = None

    # --- the loop ----------------------------------------------------------------------------

    def run_forever(self) -> None:
        """Stand by and lead until stopped (a signal raises SystemExit here)."""
        log.info("scheduler %s: waiting for the lead (%s)", self.host, self.lock.description)
        try:
            while not self._stopping.is_set():
                if self.lock.acquire():
                    log.info("scheduler %s leads", self.host)
                    self.lead()
                    if not self._stopping.is_set():
                        log.warning("scheduler %s lost the lead; standing by", self.host)
                else:
                    self._stopping.wait(self.config.lock_retry_seconds)
        finally:
            self.leadership.leading.clear()
            self.lock.release()

    def stop(self) -> None:
        self._stopping.set()
        scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    def lead(self) -> None:
        self.leadership.leading.set()
        self.leadership.lost = False
        self._close_interrupted_runs()
        scheduler = self.build()
        self._scheduler = scheduler
        try:
            scheduler.start()  # blocks until shutdown
        finally:
            self.leadership.leading.clear()
            if scheduler.running:
                scheduler.shutdown(wait=False)
            self._scheduler = None
            if self.leadership.lost or self._stopping.is_set():
                self.lock.release()

    def _close_interrupted_runs(self) -> None:
        try:
            with unit_of_work(self.app) as session:
                closed = runs.close_interrupted_runs(session=session, actor=SYSTEM, now=utcnow())
        except Exception:
            log.exception("could not close the runs of a previous leader")
            return
        if closed:
            log.warning("%d runs of a previous leader closed as interrupted", closed)

    # --- the jobs ----------------------------------------------------------------------------

    def build(self) -> BlockingScheduler:
        config = self.config
        scheduler = BlockingScheduler(
            timezone=UTC,
            executors={
                "default": ThreadPoolExecutor(config.workers),
                "watch": ThreadPoolExecutor(1),
            },
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": config.misfire_grace_seconds,
            },
        )
        first = datetime.now(UTC)

        def every(seconds: float, fn, job_id: str, **options) -> None:
            scheduler.add_job(
                fn,
                IntervalTrigger(seconds=seconds, start_date=jobs.EPOCH, timezone=UTC),
                id=job_id,
                name=job_id,
                next_run_time=options.pop("next_run_time", first),
                **options,
            )

        every(config.lock_check_seconds, self.check_lock, "lock-check", executor="watch")
        every(config.indicators_seconds, self.indicators, "indicators")
        every(config.expiry_seconds, self.expiry, "expiry")
        every(config.calendar_seconds, self.calendar, "calendar")
        if jobs.available(*DELIVERY):
            every(config.delivery_seconds, self.deliveries, "deliveries")
        else:
            log.warning("outbox delivery not installed: no delivery job")
        return scheduler

    def check_lock(self) -> None:
        if self.lock.held():
            return
        log.error("scheduler %s: the lock is no longer held; no further job starts", self.host)
        self.leadership.leading.clear()
        self.leadership.lost = True
        scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    def _run(self, job: str, work, period_key: str | None) -> int | None:
        return run_recorded(
            self.app,
            job,
            work,
            period_key=period_key,
            still_leading=self.leadership,
            host=self.host,
        )

    def indicators(self) -> None:
        """Today's indicators, then the alerts judged on them."""
        key = jobs.slot_key(utcnow(), self.config.indicators_seconds)
        self._run("indicators", jobs.indicators_today, key)
        self._run("alerts", jobs.alerts, key)

    def expiry(self) -> None:
        self._run("expiry", jobs.expiry, jobs.slot_key(utcnow(), self.config.expiry_seconds))

    def deliveries(self) -> None:
        key = jobs.slot_key(utcnow(), self.config.delivery_seconds)
        self._run("deliveries", jobs.deliveries, key)

    def calendar(self) -> None:
        """The daily, weekly and monthly jobs that are due now and not done yet."""
        now = utcnow()
        finders = [jobs.final_runs_due, jobs.prune_due, jobs.daily_jobs_due]
        if jobs.available(*SUMMARIES):
            finders.insert(1, jobs.summaries_due)
        due: list[jobs.Due] = []
        for find in finders:
            try:
                with unit_of_work(self.app) as session:
                    due.extend(find(session, now, self.config))
            except Exception:
                log.exception("could not tell which jobs are due (%s)", find.__name__)
        for item in due:
            if not self.leadership():
                return
            self._run(item.job, item.work, item.period_key)


def run(app: Flask) -> None:
    """The process: read the configuration once, then stand by and lead until stopped."""
    scheduler = Scheduler(app, SchedulerConfig.from_config(app.config))
    try:
        scheduler.run_forever()
    finally:
        scheduler.stop()
