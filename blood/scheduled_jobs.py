"""Daily jobs that packages beside supervision contribute to the scheduler.

The scheduler lives in ``blood.supervision``, and the readers (supervision, trace,
analytics) must not import each other. So a package registers its daily work here by the
dotted path of a function ``work(session, now) -> int`` (the rows it wrote), and
``create_app`` asks the package to register; the scheduler runs each job once per local day
of the default time zone, from ``at`` on, recorded like its own jobs. Knows no feature.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from sqlmodel import Session


@dataclass(frozen=True)
class DailyJob:
    name: str  # the job's name in the run records (and its words on the jobs page)
    target: str  # "package.module:function"
    at: time  # local time (the default time zone) from which the day's run is due

    def work(self) -> Callable[[Session, object], int]:
        module, _, function = self.target.partition(":")
        return getattr(importlib.import_module(module), function)


DAILY_JOBS: dict[str, DailyJob] = {}


def register_daily(job: DailyJob) -> None:
    """Add (or replace, when registered again by a new app) a daily job."""
    DAILY_JOBS[job.name] = job
