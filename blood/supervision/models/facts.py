"""Supervision's tables: the indicator facts, each organisation's last report, the alerts and
their history; and the indexes it needs on the tables it reads.

Facts are per organisation, local day (in the organisation's time zone), indicator and
breakdown key (``blood.supervision.indicators``): recomputing a day replaces its rows.

An alert is one condition at one organisation (rule + organisation + subject, such as
``red_cells|O-``). ``open_key`` holds that key while the condition is believed present, and
is unique: evaluating again updates the alert instead of opening another. It is emptied when
the condition clears (the alert closes itself, or was closed by an inspector meanwhile), so
the next time the condition arises a new alert opens. Every change is in the alert's history
(``supervision_alert_event``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.clinical.models import AdverseReaction, Transfusion
from blood.db import utcnow
from blood.donors.models import Deferral
from blood.plasma.models import Collection, LabResult, Shipment, Visit
from blood.stock.models import BloodDonation, BloodTestResult, UnitMovement

SEVERITIES = ("red", "orange", "yellow", "blue")  # 红 橙 黄 蓝: level I (gravest) to IV
OPEN, ACKNOWLEDGED, CLOSED = "open", "acknowledged", "closed"
STATUSES = (OPEN, ACKNOWLEDGED, CLOSED)
CLEARED, BY_INSPECTOR = "cleared", "inspector"


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class IndicatorFact(SQLModel, table=True):
    __tablename__ = "supervision_indicator_fact"
    __table_args__ = (
        sa.Index("ix_supervision_fact_indicator_day", "indicator", "day"),
        sa.CheckConstraint(
            "denominator IS NULL OR denominator >= 0", name="ck_supervision_fact_denominator"
        ),
    )

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    day: date = Field(primary_key=True)
    indicator: str = Field(max_length=40, primary_key=True)
    breakdown: str = Field(default="", max_length=160, primary_key=True)
    numerator: float
    denominator: float | None = None
    computed_at: datetime = Field(default_factory=utcnow)


class LastReport(SQLModel, table=True):
    """The latest record of any kind an organisation has sent (a visit, a collection, a
    movement of stock, a transfusion …), kept by the indicator computation and the alert
    evaluation from the rows of the days they read."""

    __tablename__ = "supervision_last_report"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    last_record_at: datetime
    updated_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    __tablename__ = "supervision_alert"
    __table_args__ = (
        sa.CheckConstraint(_among("severity", SEVERITIES), name="ck_supervision_alert_severity"),
        sa.CheckConstraint(_among("status", STATUSES), name="ck_supervision_alert_status"),
        sa.CheckConstraint(
            f"closed_reason IS NULL OR {_among('closed_reason', (CLEARED, BY_INSPECTOR))}",
            name="ck_supervision_alert_closed_reason",
        ),
        sa.UniqueConstraint("open_key", name="uq_supervision_alert_open_key"),
        sa.Index("ix_supervision_alert_org_status", "organisation_id", "status"),
        sa.Index("ix_supervision_alert_status_opened", "status", "opened_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=32)
    organisation_id: int = Field(foreign_key="organisation.id")
    subject: str = Field(default="", max_length=64)
    open_key: str | None = Field(default=None, max_length=160)
    severity: str = Field(max_length=8)
    status: str = Field(default=OPEN, max_length=16)
    facts: dict = Field(default_factory=dict, sa_type=sa.JSON)
    opened_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    acknowledged_by: str | None = Field(default=None, max_length=100)
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    closed_by: str | None = Field(default=None, max_length=100)
    closed_reason: str | None = Field(default=None, max_length=16)
    close_comment: str | None = Field(default=None, max_length=1000)
    cleared_at: datetime | None = None  # when the condition was last seen gone


class AlertEvent(SQLModel, table=True):
    """One step of an alert's life: opened, escalated, eased, acknowledged, closed, cleared."""

    __tablename__ = "supervision_alert_event"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="supervision_alert.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=16)
    severity: str = Field(max_length=8)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_name: str = Field(max_length=100)
    comment: str | None = Field(default=None, max_length=1000)
    facts: dict = Field(default_factory=dict, sa_type=sa.JSON)


# --- indexes on the tables supervision reads ------------------------------------------------
#
# Computing a day reads that day's rows only: each query is bounded by the day's time range on
# an indexed column (with the organisation first where the table is per organisation). These
# tables' own packages did not need these orders; supervision declares them here so that they
# are in the metadata (and in migration 0012) without those packages knowing supervision.


def _index(name: str, *columns: sa.Column) -> sa.Index:
    return sa.Index(name, *columns)


SOURCE_INDEXES = (
    _index(
        "ix_plasma_visit_station_date", Visit.__table__.c.station_id, Visit.__table__.c.visit_date
    ),
    _index(
        "ix_plasma_collection_station_started",
        Collection.__table__.c.station_id,
        Collection.__table__.c.started_at,
    ),
    _index(
        "ix_plasma_collection_station_released",
        Collection.__table__.c.station_id,
        Collection.__table__.c.released_at,
    ),
    _index(
        "ix_plasma_collection_station_state",
        Collection.__table__.c.station_id,
        Collection.__table__.c.state,
    ),
    _index("ix_plasma_collection_decided", Collection.__table__.c.deviation_decided_at),
    _index("ix_plasma_lab_result_tested", LabResult.__table__.c.tested_at),
    _index(
        "ix_plasma_shipment_station_shipped",
        Shipment.__table__.c.station_id,
        Shipment.__table__.c.shipped_at,
    ),
    _index(
        "ix_plasma_shipment_manufacturer_received",
        Shipment.__table__.c.manufacturer_id,
        Shipment.__table__.c.received_at,
    ),
    _index(
        "ix_deferral_station_created",
        Deferral.__table__.c.station_id,
        Deferral.__table__.c.created_at,
    ),
    _index("ix_blood_unit_movement_at", UnitMovement.__table__.c.at),
    _index("ix_blood_donation_decided", BloodDonation.__table__.c.deviation_decided_at),
    # The last report (``service.activity``) reads every organisation's latest record of a
    # time range, across organisations: by time alone (migration 0016).
    _index("ix_plasma_collection_started", Collection.__table__.c.started_at),
    _index("ix_deferral_created", Deferral.__table__.c.created_at),
    _index("ix_blood_donation_collected", BloodDonation.__table__.c.collected_at),
    _index("ix_blood_test_result_entered", BloodTestResult.__table__.c.entered_at),
    _index("ix_clinical_transfusion_recorded_at", Transfusion.__table__.c.recorded_at),
    _index("ix_clinical_reaction_recorded_at", AdverseReaction.__table__.c.recorded_at),
)
