"""A plasma station's day: visits (check-in, screening), collections, lab results,
quarantine, look-back triggers and shipments to manufacturers."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow
from blood.deviations import DeviationRecord

# The infectious markers every plasma donation is tested for, and the values a test takes.
INFECTIOUS_MARKERS = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")
TEST_VALUES = ("negative", "reactive")


class VisitStatus:
    CHECKED_IN = "checked_in"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    COLLECTED = "collected"


class UnitState:
    """Where a unit of source plasma is. "Releasable" is computed, never stored."""

    QUARANTINE = "quarantine"
    RELEASED = "released"
    SHIPPED = "shipped"
    DESTROYED = "destroyed"
    BLOCKED = "blocked"  # held by a look-back (its donor tested reactive): never released


class Visit(SQLModel, table=True):
    __tablename__ = "plasma_visit"

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    station_id: int = Field(foreign_key="organisation.id", index=True)
    visit_date: date = Field(index=True)
    status: str = Field(default=VisitStatus.CHECKED_IN, max_length=16)
    checked_in_at: datetime = Field(default_factory=utcnow)
    checked_in_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # Health screening (体检) and the decision shown before collection.
    weight_kg: float | None = None
    systolic: int | None = None
    diastolic: int | None = None
    pulse: int | None = None
    temperature_c: float | None = None
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None
    hb_g_l: float | None = None
    rapid_tests: dict = Field(default_factory=dict, sa_type=sa.JSON)
    questionnaire: dict = Field(default_factory=dict, sa_type=sa.JSON)
    rule_profile: str | None = Field(default=None, max_length=32)
    reasons: list = Field(default_factory=list, sa_type=sa.JSON)
    next_eligible_on: date | None = None
    screened_at: datetime | None = None
    screened_by_id: int | None = Field(default=None, foreign_key="app_user.id")


# Why a unit was destroyed (``Collection.destroyed_reason``).
DESTROYED_REACTIVE = "reactive_marker"
DESTROYED_OUT_OF_RANGE = "out_of_range"
DESTROYED_DEVIATION = "deviation_rejected"

# The deviation a plasma collection may carry (``DeviationRecord.deviation``).
DEVIATION_OVER_LIMIT = "collection_over_limit"


class Collection(DeviationRecord, table=True):
    """One apheresis donation: one unit of source plasma, identified by its DIN.

    A collection over the donor's limit is kept with its real weight and a deviation
    (``blood.deviations``): the unit cannot be released until the quality manager accepts it.
    """

    __tablename__ = "plasma_collection"
    __table_args__ = (
        sa.CheckConstraint(
            "state IN ('quarantine', 'released', 'shipped', 'destroyed', 'blocked')",
            name="ck_plasma_collection_state",
        ),
        sa.CheckConstraint("total_weight_g > 0", name="ck_plasma_collection_weight"),
        sa.CheckConstraint(
            "deviation_status IS NULL OR deviation_status IN ('open', 'accepted', 'rejected')",
            name="ck_plasma_collection_deviation_status",
        ),
        # A deviation always has its status and the collector's reason; none has neither.
        sa.CheckConstraint(
            "(deviation IS NULL) = (deviation_status IS NULL) "
            "AND (deviation IS NULL OR deviation_reason IS NOT NULL)",
            name="ck_plasma_collection_deviation",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="plasma_visit.id", unique=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    station_id: int = Field(foreign_key="organisation.id", index=True)
    din: str = Field(max_length=13, unique=True)
    check_character: str = Field(max_length=1)
    machine: str = Field(max_length=50)
    kit_lot: str = Field(max_length=50)
    started_at: datetime
    ended_at: datetime
    total_weight_g: float
    anticoagulant_ml: float
    adverse_reaction: str | None = Field(default=None, max_length=40)
    abo: str | None = Field(default=None, max_length=2)
    rhd: str | None = Field(default=None, max_length=1)
    collected_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    state: str = Field(default=UnitState.QUARANTINE, max_length=16, index=True)
    destroyed_reason: str | None = Field(default=None, max_length=40)
    released_at: datetime | None = None
    released_by_id: int | None = Field(default=None, foreign_key="app_user.id")

    @property
    def blood_group(self) -> str:
        return f"{self.abo}{self.rhd}" if self.abo and self.rhd else ""


class LabResult(SQLModel, table=True):
    """The tests of one donation's sample. Entered once; a reactive marker ends the unit."""

    __tablename__ = "plasma_lab_result"

    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(foreign_key="plasma_collection.id", unique=True)
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None
    hbsag: str = Field(max_length=10)
    anti_hcv: str = Field(max_length=10)
    anti_hiv: str = Field(max_length=10)
    syphilis: str = Field(max_length=10)
    outcome: str = Field(max_length=16)  # negative | reactive | out_of_range
    tested_at: datetime = Field(default_factory=utcnow)
    entered_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Shipment(SQLModel, table=True):
    __tablename__ = "plasma_shipment"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    station_id: int = Field(foreign_key="organisation.id", index=True)
    manufacturer_id: int = Field(foreign_key="organisation.id", index=True)
    status: str = Field(default="shipped", max_length=16)
    shipped_at: datetime = Field(default_factory=utcnow)
    shipped_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    received_at: datetime | None = None
    received_by: str | None = Field(default=None, max_length=100)
    receipt_note: str | None = Field(default=None, max_length=500)


class ShipmentItem(SQLModel, table=True):
    __tablename__ = "plasma_shipment_item"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="plasma_shipment.id", index=True)
    # unique: a unit ships once, whatever happens concurrently.
    collection_id: int = Field(foreign_key="plasma_collection.id", unique=True)
    box_label: str = Field(max_length=20)
    receipt_status: str | None = Field(default=None, max_length=16)  # ok | missing | damaged


class ShipmentDiscrepancy(SQLModel, table=True):
    __tablename__ = "plasma_shipment_discrepancy"

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="plasma_shipment.id", index=True)
    kind: str = Field(max_length=16)  # missing | damaged | extra
    din: str = Field(max_length=13)
    note: str | None = Field(default=None, max_length=500)
