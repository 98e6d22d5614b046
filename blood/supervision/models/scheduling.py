"""The tables of supervision's scheduled work and pushes.

- ``supervision_job_run``: every run of a scheduled job (start, end, outcome, rows), shown to
  administrators; a job for one period that succeeded is not run again (``period_key``).
- ``supervision_push_target``: where an authority's summaries go (a URL, a format — native
  signed JSON, DHIS2 ``dataValueSets``, or an upper-level instance of this system — the
  credentials, encrypted, and which summaries).
- ``supervision_summary``: one authority's indicators and open alerts for one period, as the
  versioned JSON document of ``docs/summary.schema.json``; one per (authority, kind, period).
- ``supervision_delivery``: the outbox — one row per summary and target, written in the same
  transaction as the summary; delivered with retries, or dead after the last attempt.
- ``supervision_inbound_source`` / ``supervision_inbound_summary``: on an upper-level
  instance, the lower instances allowed to push (their signing secret, and the remote
  jurisdiction their figures join), and what they pushed (deduplicated by key).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

# Job outcomes.
RUNNING, SUCCEEDED, FAILED, SKIPPED = "running", "succeeded", "failed", "skipped"
JOB_OUTCOMES = (RUNNING, SUCCEEDED, FAILED, SKIPPED)
# Summary kinds and push formats.
DAILY, WEEKLY, MONTHLY = "daily", "weekly", "monthly"
SUMMARY_KINDS = (DAILY, WEEKLY, MONTHLY)
NATIVE, DHIS2, FEDERATION = "native", "dhis2", "federation"
PUSH_FORMATS = (NATIVE, DHIS2, FEDERATION)
# Delivery states.
PENDING, IN_FLIGHT, DELIVERED, DEAD = "pending", "in_flight", "delivered", "dead"
DELIVERY_STATES = (PENDING, IN_FLIGHT, DELIVERED, DEAD)


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class JobRun(SQLModel, table=True):
    __tablename__ = "supervision_job_run"
    __table_args__ = (
        sa.CheckConstraint(_among("outcome", JOB_OUTCOMES), name="ck_supervision_job_outcome"),
        sa.Index("ix_supervision_job_run_job_started", "job", "started_at"),
        sa.Index("ix_supervision_job_run_period", "job", "period_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    # What the run covered, for jobs that run once per period: "2026-12-03|Asia/Shanghai".
    period_key: str | None = Field(default=None, max_length=120)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    outcome: str = Field(default=RUNNING, max_length=16)
    rows: int = 0
    detail: str | None = Field(default=None, max_length=2000)
    host: str = Field(default="", max_length=120)


class PushTarget(SQLModel, table=True):
    __tablename__ = "supervision_push_target"
    __table_args__ = (
        sa.CheckConstraint(_among("format", PUSH_FORMATS), name="ck_supervision_target_format"),
        sa.UniqueConstraint("authority_id", "name", name="uq_supervision_target_name"),
    )
    __audit_redact__: ClassVar[set[str]] = {"secret_ciphertext"}

    id: int | None = Field(default=None, primary_key=True)
    authority_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=100)
    url: str = Field(max_length=500)
    format: str = Field(max_length=16)
    # The signing secret (native, federation) or DHIS2 credentials, encrypted with the
    # deployment's key (blood.pii); never shown again once saved.
    secret_ciphertext: str | None = Field(default=None, sa_type=sa.Text)
    username: str | None = Field(default=None, max_length=100)  # DHIS2 basic auth
    # Which summaries go there: any of daily, weekly, monthly.
    summary_kinds: list = Field(default_factory=lambda: [DAILY], sa_type=sa.JSON)
    # DHIS2: {"dataSet": "...", "orgUnits": {ORG-CODE: uid}, "dataElements":
    # {"indicator" or "indicator|breakdown key": {"dataElement": uid,
    # "categoryOptionCombo": uid}}} — see docs/supervision.md.
    mapping: dict = Field(default_factory=dict, sa_type=sa.JSON)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=100)


class Summary(SQLModel, table=True):
    __tablename__ = "supervision_summary"
    __table_args__ = (
        sa.CheckConstraint(_among("kind", SUMMARY_KINDS), name="ck_supervision_summary_kind"),
        sa.UniqueConstraint(
            "authority_id", "kind", "period_label", name="uq_supervision_summary_period"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=36, unique=True)  # the Idempotency-Key of every push of it
    authority_id: int = Field(foreign_key="organisation.id")
    kind: str = Field(max_length=16)
    period_label: str = Field(max_length=24)
    period_start: date
    period_end: date
    document: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow)


class Delivery(SQLModel, table=True):
    __tablename__ = "supervision_delivery"
    __table_args__ = (
        sa.CheckConstraint(_among("state", DELIVERY_STATES), name="ck_supervision_delivery_state"),
        sa.UniqueConstraint("summary_id", "target_id", name="uq_supervision_delivery"),
        sa.Index("ix_supervision_delivery_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    summary_id: int = Field(foreign_key="supervision_summary.id", index=True)
    target_id: int = Field(foreign_key="supervision_push_target.id", index=True)
    state: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=2000)
    # DHIS2's import conflicts of the last attempt, as it answered them.
    conflicts: list = Field(default_factory=list, sa_type=sa.JSON)
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class InboundSource(SQLModel, table=True):
    """A lower-level instance allowed to push to this one: its figures join the roll-up as
    the remote jurisdiction ``organisation_id`` (an authority in this instance's tree)."""

    __tablename__ = "supervision_inbound_source"
    __audit_redact__: ClassVar[set[str]] = {"secret_ciphertext"}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)  # the sender's name, in X-Blood-Sender
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    secret_ciphertext: str = Field(sa_type=sa.Text)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class InboundSummary(SQLModel, table=True):
    __tablename__ = "supervision_inbound_summary"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="supervision_inbound_source.id", index=True)
    idempotency_key: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=16)
    period_label: str = Field(max_length=24)
    document: dict = Field(default_factory=dict, sa_type=sa.JSON)
    received_at: datetime = Field(default_factory=utcnow)
