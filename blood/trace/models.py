"""Look-back cases, the units each one found, and the notices it sent.

A case is opened by a reactive test (a plasma station's or blood centre's laboratory), by a
hospital reporting a transfusion-transmitted infection, or by hand by the quality role. It lists
every unit of the donor's donations in its window, with what the case found and did: blocked in
stock, already transfused (a recipient notice to the hospital), already shipped (a recall notice
to the manufacturer), or already gone (discarded, expired, destroyed). A notice is tracked
until its receiver acknowledges it.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

# How a case was opened.
ORIGINS = ("reactive_test", "tti_report", "manual")
CASE_STATUSES = ("open", "closed")
# What the case found for a unit (``CaseUnit.outcome``).
OUTCOMES = ("blocked", "transfused", "shipped", "gone")
# The kinds of units: a blood-centre component, or a plasma station's source plasma.
UNIT_KINDS = ("component", "plasma")
# What a notice asks of its receiver: recall shipped plasma, follow up a recipient, or hold a
# unit the case blocked in the receiver's stock.
NOTICE_KINDS = ("recall", "recipient", "hold")


def _among(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class LookbackCase(SQLModel, table=True):
    __tablename__ = "trace_lookback_case"
    __table_args__ = (
        sa.CheckConstraint(_among("origin", ORIGINS), name="ck_trace_case_origin"),
        sa.CheckConstraint(_among("status", CASE_STATUSES), name="ck_trace_case_status"),
        sa.CheckConstraint("window_months BETWEEN 1 AND 120", name="ck_trace_case_window"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    origin: str = Field(max_length=16)
    markers: list = Field(default_factory=list, sa_type=sa.JSON)
    index_din: str = Field(max_length=13, index=True)
    trigger_id: int | None = Field(default=None, foreign_key="lookback_trigger.id")
    reaction_id: int | None = Field(default=None, foreign_key="clinical_adverse_reaction.id")
    # Who opened it (the laboratory's station or centre, the reporting hospital, the quality
    # manager's organisation).
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    window_months: int = Field(default=12)
    window_from: datetime  # donations collected from here on were traced
    status: str = Field(default="open", max_length=16)
    note: str | None = Field(default=None, max_length=1000)
    opened_at: datetime = Field(default_factory=utcnow)
    opened_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    opened_by: str = Field(max_length=100)
    # Closed by the opener's quality role or an inspector above it, with a comment.
    closed_at: datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    closed_by: str | None = Field(default=None, max_length=100)
    closing_comment: str | None = Field(default=None, max_length=1000)


class CaseUnit(SQLModel, table=True):
    """One unit a case found, where it was and what the case did about it."""

    __tablename__ = "trace_case_unit"
    __table_args__ = (
        sa.CheckConstraint(_among("kind", UNIT_KINDS), name="ck_trace_case_unit_kind"),
        sa.CheckConstraint(_among("outcome", OUTCOMES), name="ck_trace_case_unit_outcome"),
        sa.CheckConstraint(
            "(unit_id IS NULL) <> (collection_id IS NULL)", name="ck_trace_case_unit_one"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="trace_lookback_case.id", index=True)
    kind: str = Field(max_length=16)
    unit_id: int | None = Field(default=None, foreign_key="blood_unit.id", index=True)
    collection_id: int | None = Field(default=None, foreign_key="plasma_collection.id", index=True)
    din: str = Field(max_length=13, index=True)
    product_code: str | None = Field(default=None, max_length=5)
    division: str | None = Field(default=None, max_length=2)
    collected_at: datetime
    # The station or centre that collected it, and who held it when the case found it.
    collector_id: int = Field(foreign_key="organisation.id", index=True)
    holder_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    state_found: str = Field(max_length=16)
    outcome: str = Field(max_length=16)


class Notice(SQLModel, table=True):
    """What a case asks of another organisation, tracked until it is acknowledged. A recipient
    notice names the patient only by the hospital's pseudonym (the mask) and the date."""

    __tablename__ = "trace_notice"
    __table_args__ = (
        sa.CheckConstraint(_among("kind", NOTICE_KINDS), name="ck_trace_notice_kind"),
        sa.Index("ix_trace_notice_receiver", "receiver_id", "acknowledged_at"),
        sa.Index("ix_trace_notice_due", "acknowledged_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="trace_lookback_case.id", index=True)
    case_unit_id: int = Field(foreign_key="trace_case_unit.id")
    kind: str = Field(max_length=16)
    receiver_id: int = Field(foreign_key="organisation.id")
    din: str = Field(max_length=13)
    product_code: str | None = Field(default=None, max_length=5)
    shipment_number: str | None = Field(default=None, max_length=32)
    patient_mask: str | None = Field(default=None, max_length=32)
    transfused_on: date | None = None
    department: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
    due_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    acknowledged_by: str | None = Field(default=None, max_length=100)
    acknowledgement_note: str | None = Field(default=None, max_length=1000)
