"""The scheduler's configuration (``SCHEDULER_*`` in ``blood/config.py``), read once when the
process starts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any


def _time(text: str, name: str) -> time:
    try:
        hours, minutes = str(text).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{name} must be a local time HH:MM, not {text!r}") from None


def _seconds(value: Any, name: str, least: float = 0.1) -> float:
    seconds = float(value)
    if seconds < least:
        raise ValueError(f"{name} must be at least {least} seconds, not {value!r}")
    return seconds


@dataclass(frozen=True)
class SchedulerConfig:
    indicators_seconds: float = 15 * 60
    expiry_seconds: float = 15 * 60
    delivery_seconds: float = 60
    calendar_seconds: float = 60
    final_run_at: time = time(0, 10)
    summary_at: time = time(6, 0)
    misfire_grace_seconds: int = 300
    lock_retry_seconds: float = 5
    lock_check_seconds: float = 5
    workers: int = 4
    idempotency_retention_days: int = 30
    job_run_retention_days: int = 90
    default_timezone: str = "Asia/Shanghai"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SchedulerConfig:
        def get(key: str, default: Any) -> Any:
            value = config.get(key)
            return default if value is None else value

        base = cls()
        return cls(
            indicators_seconds=_seconds(
                get("SCHEDULER_INDICATORS_SECONDS", base.indicators_seconds),
                "SCHEDULER_INDICATORS_SECONDS",
            ),
            expiry_seconds=_seconds(
                get("SCHEDULER_EXPIRY_SECONDS", base.expiry_seconds), "SCHEDULER_EXPIRY_SECONDS"
            ),
            delivery_seconds=_seconds(
                get("SCHEDULER_DELIVERY_SECONDS", base.delivery_seconds),
                "SCHEDULER_DELIVERY_SECONDS",
            ),
            calendar_seconds=_seconds(
                get("SCHEDULER_CALENDAR_SECONDS", base.calendar_seconds),
                "SCHEDULER_CALENDAR_SECONDS",
            ),
            final_run_at=_time(get("SCHEDULER_FINAL_RUN_AT", "00:10"), "SCHEDULER_FINAL_RUN_AT"),
            summary_at=_time(get("SCHEDULER_SUMMARY_AT", "06:00"), "SCHEDULER_SUMMARY_AT"),
            misfire_grace_seconds=max(
                1, int(get("SCHEDULER_MISFIRE_GRACE_SECONDS", base.misfire_grace_seconds))
            ),
            lock_retry_seconds=_seconds(
                get("SCHEDULER_LOCK_RETRY_SECONDS", base.lock_retry_seconds),
                "SCHEDULER_LOCK_RETRY_SECONDS",
            ),
            lock_check_seconds=_seconds(
                get("SCHEDULER_LOCK_CHECK_SECONDS", base.lock_check_seconds),
                "SCHEDULER_LOCK_CHECK_SECONDS",
            ),
            workers=max(2, int(get("SCHEDULER_WORKERS", base.workers))),
            idempotency_retention_days=max(1, int(get("IDEMPOTENCY_KEY_RETENTION_DAYS", 30))),
            job_run_retention_days=max(
                1, int(get("SCHEDULER_JOB_RUN_RETENTION_DAYS", base.job_run_retention_days))
            ),
            default_timezone=str(get("DEFAULT_TIMEZONE", base.default_timezone)),
        )
