"""Clinical blood use at a hospital: transfusions (with the approvals signed, the flags raised
and the effect measured) and adverse reactions.

Patient record numbers and staff ids are never stored in clear: a keyed hash per hospital
(``*_key``: the hospital finds its own patient again by sending the number; nobody else can)
and a mask for display (``*_mask``). Returns and discards are the stock's unit movements
(``blood.stock.models.UnitMovement``): they are read from there.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.clinical.rules import (
    APPROVAL_TIERS,
    COMPONENTS,
    IMPUTABILITY,
    REACTION_CATEGORIES,
    REACTION_OUTCOMES,
)
from blood.db import utcnow


def _among(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    check = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {check}" if nullable else check


REVIEW_OPEN, REVIEWED = "open", "reviewed"


class Transfusion(SQLModel, table=True):
    """One unit given to one patient at one hospital."""

    __tablename__ = "clinical_transfusion"
    __table_args__ = (
        # A unit is transfused once (the stock's state machine is the first guard).
        sa.UniqueConstraint("unit_id", name="uq_clinical_transfusion_unit"),
        # The hospital's own record id, when it sends one, is unique at that hospital.
        sa.UniqueConstraint("hospital_id", "reference", name="uq_clinical_transfusion_reference"),
        sa.CheckConstraint(
            _among("component", COMPONENTS), name="ck_clinical_transfusion_component"
        ),
        sa.CheckConstraint(
            _among("patient_sex", ("M", "F"), nullable=True), name="ck_clinical_transfusion_sex"
        ),
        sa.CheckConstraint(
            _among("review_status", (REVIEW_OPEN, REVIEWED), nullable=True),
            name="ck_clinical_transfusion_review",
        ),
        sa.CheckConstraint("ended_at >= started_at", name="ck_clinical_transfusion_times"),
        sa.CheckConstraint("volume_given_ml > 0", name="ck_clinical_transfusion_volume"),
        # Reconciliation reads: a hospital's records in the order the server recorded them.
        sa.Index("ix_clinical_transfusion_recorded", "hospital_id", "recorded_at", "id"),
        # A patient's history and the approval window.
        sa.Index("ix_clinical_transfusion_patient", "hospital_id", "patient_key", "started_at"),
        sa.Index("ix_clinical_transfusion_started", "hospital_id", "started_at"),
        sa.Index("ix_clinical_transfusion_review", "hospital_id", "review_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hospital_id: int = Field(foreign_key="organisation.id")
    unit_id: int = Field(foreign_key="blood_unit.id")
    reference: str | None = Field(default=None, max_length=64)
    # The unit as it was given: its component and group.
    component: str = Field(max_length=16)
    unit_abo: str = Field(max_length=2)
    unit_rhd: str = Field(max_length=1)
    # Red cells: the whole-blood volume the unit counts for (approval tiers, units).
    counted_ml: int | None = None
    # The patient, pseudonymised per hospital.
    patient_key: str = Field(max_length=64)
    patient_mask: str = Field(max_length=32)
    patient_sex: str | None = Field(default=None, max_length=1)
    patient_birth_year: int | None = None
    patient_age_band: str | None = Field(default=None, max_length=8)
    patient_abo: str | None = Field(default=None, max_length=2)
    patient_rhd: str | None = Field(default=None, max_length=1)
    department: str = Field(max_length=60)
    ward: str | None = Field(default=None, max_length=60)
    indication: str | None = Field(default=None, max_length=16)  # ICD-10
    surgical: bool = Field(default=False)
    bleeding: bool = Field(default=False)
    pre_hb_g_l: float | None = None
    pre_platelets_e9_l: float | None = None
    pre_pt_ratio: float | None = None
    pre_inr: float | None = None
    pre_aptt_ratio: float | None = None
    pre_fibrinogen_g_l: float | None = None
    started_at: datetime
    ended_at: datetime
    volume_given_ml: int
    ordering_doctor_key: str | None = Field(default=None, max_length=64)
    ordering_doctor_mask: str | None = Field(default=None, max_length=16)
    emergency: bool = Field(default=False)
    emergency_reason: str | None = Field(default=None, max_length=500)
    autologous: bool = Field(default=False)
    # Red cells: the patient's whole-blood volume in the approval window (this unit
    # included), and the highest tier it required (None: the ordering doctor's request).
    window_total_ml: int | None = None
    required_approval: str | None = Field(default=None, max_length=24)
    # The committee's review of the flags: open while a flag (or a missing outcome) waits.
    review_status: str | None = Field(default=None, max_length=12)
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    reviewed_by: str | None = Field(default=None, max_length=100)
    reviewed_at: datetime | None = None
    review_comment: str | None = Field(default=None, max_length=1000)
    # When a missing post-transfusion value puts it on the review list.
    outcome_due_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by: str = Field(max_length=100)


class TransfusionApproval(SQLModel, table=True):
    """A signature on a transfusion, with the tier the approver signed as."""

    __tablename__ = "clinical_transfusion_approval"
    __table_args__ = (
        sa.CheckConstraint(_among("tier", APPROVAL_TIERS), name="ck_clinical_approval_tier"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfusion_id: int = Field(foreign_key="clinical_transfusion.id", index=True)
    tier: str = Field(max_length=24)
    staff_key: str = Field(max_length=64)
    staff_mask: str = Field(max_length=16)


class TransfusionFlag(SQLModel, table=True):
    """Why a transfusion needs the committee's (and the regulator's) look: a stable code and
    its figures. ``report``: the supervising authority is told."""

    __tablename__ = "clinical_transfusion_flag"
    __table_args__ = (sa.Index("ix_clinical_flag_code", "hospital_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    transfusion_id: int = Field(foreign_key="clinical_transfusion.id", index=True)
    hospital_id: int = Field(foreign_key="organisation.id")
    code: str = Field(max_length=48)
    facts: dict = Field(default_factory=dict, sa_type=sa.JSON)
    report: bool = Field(default=False, index=True)
    raised_at: datetime = Field(default_factory=utcnow)


class TransfusionOutcome(SQLModel, table=True):
    """A post-transfusion value and what it says. It covers every transfusion of the same
    component the patient received from the start of the one it is recorded on until it was
    measured (``span_from`` … ``measured_at``): one Hb after two bags judges both."""

    __tablename__ = "clinical_transfusion_outcome"
    __table_args__ = (
        sa.Index(
            "ix_clinical_outcome_patient", "hospital_id", "patient_key", "component", "measured_at"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfusion_id: int = Field(foreign_key="clinical_transfusion.id", index=True)
    hospital_id: int = Field(foreign_key="organisation.id")
    patient_key: str = Field(max_length=64)
    component: str = Field(max_length=16)
    span_from: datetime
    measured_at: datetime
    hb_g_l: float | None = None
    platelets_e9_l: float | None = None
    pt_ratio: float | None = None
    inr: float | None = None
    aptt_ratio: float | None = None
    fibrinogen_g_l: float | None = None
    body_surface_area_m2: float | None = None
    platelets_given_e11: float | None = None
    units: float  # red cells: units (U); platelets: bags; others: bags, in the span
    increment: float | None = None
    cci: float | None = None
    ineffective: bool | None = None  # None: not judged (``basis`` says why)
    basis: str | None = Field(default=None, max_length=24)
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by: str = Field(max_length=100)


class AdverseReaction(SQLModel, table=True):
    """A transfusion reaction reported by a hospital (haemovigilance). ``alert_required``:
    severity 3–4 or a transfusion-transmitted infection, for the supervision package to raise
    at once (``alerted_at`` when it has)."""

    __tablename__ = "clinical_adverse_reaction"
    __table_args__ = (
        sa.UniqueConstraint("hospital_id", "reference", name="uq_clinical_reaction_reference"),
        sa.CheckConstraint(
            _among("category", REACTION_CATEGORIES), name="ck_clinical_reaction_category"
        ),
        sa.CheckConstraint("severity BETWEEN 1 AND 4", name="ck_clinical_reaction_severity"),
        sa.CheckConstraint(
            _among("imputability", IMPUTABILITY), name="ck_clinical_reaction_imputability"
        ),
        sa.CheckConstraint(
            _among("outcome", REACTION_OUTCOMES), name="ck_clinical_reaction_outcome"
        ),
        sa.Index("ix_clinical_reaction_recorded", "hospital_id", "recorded_at", "id"),
        sa.Index("ix_clinical_reaction_alert", "alert_required", "alerted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hospital_id: int = Field(foreign_key="organisation.id")
    reference: str | None = Field(default=None, max_length=64)
    category: str = Field(max_length=32)
    severity: int
    imputability: str = Field(max_length=16)
    outcome: str = Field(max_length=16)
    onset_at: datetime
    description: str | None = Field(default=None, max_length=2000)
    # The onset was outside the category's usual window (accepted, with this warning).
    onset_warning: dict | None = Field(default=None, sa_type=sa.JSON)
    alert_required: bool = Field(default=False)
    alerted_at: datetime | None = None
    recorded_at: datetime = Field(default_factory=utcnow)
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by: str = Field(max_length=100)


class ReactionTransfusion(SQLModel, table=True):
    """Which transfusions a reaction is linked to."""

    __tablename__ = "clinical_reaction_transfusion"

    reaction_id: int = Field(foreign_key="clinical_adverse_reaction.id", primary_key=True)
    transfusion_id: int = Field(foreign_key="clinical_transfusion.id", primary_key=True, index=True)


class RefusedTransfusion(SQLModel, table=True):
    """A transfusion the system refused for the patient's safety (ABO/RhD): nothing of the
    record is kept, but that the attempt happened is — supervision counts them. Written after
    the refusal, in its own transaction (``blood.db.keep_after_refusal``). No patient data."""

    __tablename__ = "clinical_refused_transfusion"
    __table_args__ = (sa.Index("ix_clinical_refused_hospital_at", "hospital_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    hospital_id: int = Field(foreign_key="organisation.id")
    code: str = Field(max_length=40)
    component: str = Field(max_length=16)
    at: datetime = Field(default_factory=utcnow)
