"""Blood-centre donations and their laboratory results, component units and their movements,
the daily usage rolled up from them, orders and dispatches, temperature excursions, product
codes."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow
from blood.deviations import DeviationRecord
from blood.stock.lifecycle import UnitState

_STATES = ", ".join(f"'{s.value}'" for s in UnitState)
COMPONENTS = ("red_cells", "plasma", "platelets", "cryo")
# How a product is collected: split from whole blood, or collected by apheresis.
COLLECTION_METHODS = ("whole_blood", "apheresis")
# The collection method of each kind of blood-centre donation.
METHOD_OF_KIND = {"whole_blood": "whole_blood", "platelets": "apheresis"}
# The deviation a whole-blood volume outside 200/300/400 mL (± the tolerance) is recorded as.
VOLUME_DEVIATION = "whole_blood_volume"
# Why a unit was discarded. Those a person picks on the stock pages come first; the last are
# written by the services only (a rejected deviation, a laboratory result above its limit).
DISCARD_REASON_CODES = (
    "temperature_excursion",
    "damaged",
    "reactive_test",
    "clinical_not_used",
    "quality",
    "other",
    "test_out_of_range",
    "deviation_rejected",
)
SERVICE_DISCARD_REASONS = ("test_out_of_range", "deviation_rejected")
# The laboratory's answers per marker: qualitative markers are negative or reactive; a
# measured one (ALT) is within or above its limit.
TEST_RESULTS = ("negative", "reactive", "within_limit", "above_limit")
PASSING_RESULTS = ("negative", "within_limit")
MEASURED_MARKERS = ("alt",)  # measured in U/L against a limit; every other marker is read
# Where a donation's ABO/RhD group stands: confirmed by the laboratory, found to differ from
# the donor's recorded group, or that difference resolved by the quality manager.
GROUP_STATUSES = ("confirmed", "discrepant", "resolved")
# The eight ABO/RhD groups, in the order the stock pages list them.
GROUPS = (
    ("O", "-"),
    ("O", "+"),
    ("A", "-"),
    ("A", "+"),
    ("B", "-"),
    ("B", "+"),
    ("AB", "-"),
    ("AB", "+"),
)


class ProductCode(SQLModel, table=True):
    """ISBT 128 product description codes in use here (the full table is ICCBBA's, licensed:
    deployments load theirs with ``flask --app app blood load-product-codes FILE.csv``)."""

    __tablename__ = "product_code"
    __table_args__ = (
        sa.CheckConstraint(
            "component IN ('red_cells', 'plasma', 'platelets', 'cryo')", name="ck_product_component"
        ),
        sa.CheckConstraint("method IN ('whole_blood', 'apheresis')", name="ck_product_method"),
    )

    code: str = Field(primary_key=True, max_length=5)
    component: str = Field(max_length=16)
    # What the product is made from: a whole-blood donation, or an apheresis collection.
    method: str = Field(max_length=16)
    shelf_life_hours: int
    storage: str = Field(max_length=60)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(max_length=200)
    source: str = Field(default="", max_length=200)


class BloodDonation(DeviationRecord, table=True):
    """A whole-blood (200/300/400 mL) or apheresis-platelet donation at a blood centre.

    ``abo``/``rhd`` are the donor's group as recorded at collection (None when unknown);
    ``confirmed_abo``/``confirmed_rhd`` the laboratory's. A confirmed group that differs from
    the recorded one is ``discrepant`` until the quality manager resolves it. A whole-blood
    volume outside 200/300/400 mL is recorded with a deviation (``DeviationRecord``)."""

    __tablename__ = "blood_donation"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('whole_blood', 'platelets')", name="ck_blood_donation_kind"),
        sa.CheckConstraint(
            "group_status IS NULL OR group_status IN ('confirmed', 'discrepant', 'resolved')",
            name="ck_blood_donation_group_status",
        ),
        sa.CheckConstraint(
            "deviation_status IS NULL OR deviation_status IN ('open', 'accepted', 'rejected')",
            name="ck_blood_donation_deviation_status",
        ),
        sa.CheckConstraint(
            "(deviation IS NULL) = (deviation_status IS NULL)",
            name="ck_blood_donation_deviation",
        ),
        sa.Index("ix_blood_donation_centre_collected", "centre_id", "collected_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    centre_id: int = Field(foreign_key="organisation.id", index=True)
    din: str = Field(max_length=13, unique=True)
    check_character: str = Field(max_length=1)
    kind: str = Field(max_length=16)
    volume_ml: int
    collected_at: datetime
    collected_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    adverse_reaction: str | None = Field(default=None, max_length=40)
    abo: str | None = Field(default=None, max_length=2)
    rhd: str | None = Field(default=None, max_length=1)
    screening: dict = Field(default_factory=dict, sa_type=sa.JSON)
    confirmed_abo: str | None = Field(default=None, max_length=2)
    confirmed_rhd: str | None = Field(default=None, max_length=1)
    group_status: str | None = Field(default=None, max_length=12)
    group_confirmed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    group_confirmed_at: datetime | None = None
    group_resolved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    group_resolved_at: datetime | None = None
    group_resolution_note: str | None = Field(default=None, max_length=500)

    @property
    def unit_group(self) -> tuple[str | None, str | None]:
        """The group its components carry: the laboratory's once confirmed without a
        discrepancy (or resolved), else the donor's recorded group (None when unknown)."""
        if self.group_status in ("confirmed", "resolved"):
            return self.confirmed_abo, self.confirmed_rhd
        return self.abo, self.rhd


class BloodTestResult(SQLModel, table=True):
    """One marker's result for one donation (by DIN) at the blood centre's laboratory.

    Results are entered once each (a batch, or one sample) and never overwritten; a
    measured marker keeps its value and the limit it was read against."""

    __tablename__ = "blood_test_result"
    __table_args__ = (
        sa.UniqueConstraint("donation_id", "marker", name="uq_blood_test_result_marker"),
        sa.CheckConstraint(
            "result IN ('negative', 'reactive', 'within_limit', 'above_limit')",
            name="ck_blood_test_result",
        ),
        sa.Index("ix_blood_test_result_centre", "centre_id", "entered_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donation_id: int = Field(foreign_key="blood_donation.id", index=True)
    centre_id: int = Field(foreign_key="organisation.id")
    marker: str = Field(max_length=16)
    result: str = Field(max_length=16)
    value: float | None = None  # a measured marker's figure (ALT in U/L)
    limit_value: float | None = None  # the limit it was read against
    entered_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    entered_by: str = Field(max_length=100)
    entered_at: datetime = Field(default_factory=utcnow)


class Unit(SQLModel, table=True):
    """One component: identified by DIN + product code + division, held by one organisation."""

    __tablename__ = "blood_unit"
    __table_args__ = (
        sa.UniqueConstraint("din", "product_code", "division", name="uq_blood_unit_identity"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_blood_unit_state"),
        sa.CheckConstraint("expires_at > collected_at", name="ck_blood_unit_expiry"),
        # The group may be unknown only while the unit waits for the laboratory (or after it
        # has left the stock for good): a unit that can be used always carries one.
        sa.CheckConstraint(
            "(abo IS NOT NULL AND rhd IS NOT NULL) "
            "OR state IN ('pending_tests', 'discarded', 'expired', 'blocked')",
            name="ck_blood_unit_group",
        ),
        sa.Index("ix_blood_unit_stock", "owner_id", "state", "component"),
    )

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(max_length=13, index=True)
    check_character: str = Field(max_length=1)
    product_code: str = Field(foreign_key="product_code.code", max_length=5)
    division: str = Field(default="00", max_length=2)
    component: str = Field(max_length=16)
    abo: str | None = Field(default=None, max_length=2)  # None: waiting for the laboratory
    rhd: str | None = Field(default=None, max_length=1)
    volume_ml: int
    collected_at: datetime
    expires_at: datetime = Field(index=True)
    state: str = Field(default=UnitState.PENDING_TESTS, max_length=16)
    owner_id: int = Field(foreign_key="organisation.id")
    centre_id: int = Field(foreign_key="organisation.id", index=True)
    donation_id: int | None = Field(default=None, foreign_key="blood_donation.id", index=True)
    reserved_for_order_id: int | None = Field(default=None, foreign_key="blood_order.id")
    discard_reason: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def blood_group(self) -> str | None:
        """``O+``, or None while the group is unknown (never ``NoneNone``)."""
        return f"{self.abo}{self.rhd}" if self.abo and self.rhd else None

    @property
    def label(self) -> str:
        return f"{self.din} {self.product_code}{'' if self.division == '00' else self.division}"


class UnitMovement(SQLModel, table=True):
    """Every transition of every unit: the history that days of supply are computed from."""

    __tablename__ = "blood_unit_movement"
    __table_args__ = (sa.Index("ix_movement_usage", "organisation_id", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="blood_unit.id", index=True)
    action: str = Field(max_length=16)
    from_state: str = Field(max_length=16)
    to_state: str = Field(max_length=16)
    organisation_id: int = Field(foreign_key="organisation.id")  # who acted
    counterpart_id: int | None = Field(default=None, foreign_key="organisation.id")
    component: str = Field(max_length=16)
    abo: str | None = Field(default=None, max_length=2)
    rhd: str | None = Field(default=None, max_length=1)
    at: datetime = Field(default_factory=utcnow)
    reason: str | None = Field(default=None, max_length=40)


class DailyUsage(SQLModel, table=True):
    """Units used per organisation, local day (in the organisation's time zone), component and
    ABO/RhD group: a blood centre's issues, a hospital's transfusions. Kept with each movement
    that counts, in its transaction (``blood.stock.service.usage``), so that stock levels read a
    few rows per organisation instead of every movement of the window."""

    __tablename__ = "blood_daily_usage"
    __table_args__ = (sa.CheckConstraint("units >= 0", name="ck_daily_usage_units"),)

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    day: date = Field(primary_key=True)
    component: str = Field(max_length=16, primary_key=True)
    abo: str = Field(max_length=2, primary_key=True)
    rhd: str = Field(max_length=1, primary_key=True)
    units: int


class Order(SQLModel, table=True):
    __tablename__ = "blood_order"
    __table_args__ = (
        sa.CheckConstraint(
            "urgency IN ('routine', 'urgent', 'emergency')", name="ck_order_urgency"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    hospital_id: int = Field(foreign_key="organisation.id", index=True)
    centre_id: int = Field(foreign_key="organisation.id", index=True)
    urgency: str = Field(default="routine", max_length=16)
    status: str = Field(default="open", max_length=16)  # open | partial | fulfilled | cancelled
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str = Field(max_length=100)
    needed_by: datetime | None = None  # when the hospital needs the units (optional)


class OrderLine(SQLModel, table=True):
    __tablename__ = "blood_order_line"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="ck_order_line_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="blood_order.id", index=True)
    component: str = Field(max_length=16)
    abo: str = Field(max_length=2)
    rhd: str = Field(max_length=1)
    quantity: int
    fulfilled: int = Field(default=0)


class Dispatch(SQLModel, table=True):
    """Units on their way: an issue from a centre (for an order) or a hospital transfer."""

    __tablename__ = "blood_dispatch"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=32, unique=True)
    kind: str = Field(max_length=16)  # issue | transfer
    from_id: int = Field(foreign_key="organisation.id", index=True)
    to_id: int = Field(foreign_key="organisation.id", index=True)
    order_id: int | None = Field(default=None, foreign_key="blood_order.id")
    status: str = Field(default="in_transit", max_length=16)  # in_transit | received
    dispatched_at: datetime = Field(default_factory=utcnow)
    dispatched_by: str = Field(max_length=100)
    received_at: datetime | None = None
    received_by: str | None = Field(default=None, max_length=100)


class DispatchItem(SQLModel, table=True):
    __tablename__ = "blood_dispatch_item"
    __table_args__ = (sa.UniqueConstraint("dispatch_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="blood_dispatch.id", index=True)
    unit_id: int = Field(foreign_key="blood_unit.id", index=True)
    temperature_ok: bool | None = None


class TemperatureExcursion(SQLModel, table=True):
    """A unit found out of its temperature range when a hospital received it: which unit, in
    which dispatch, recorded by whom and when; closed when the unit is restocked, discarded
    or expires (a return to the centre leaves it open: the centre decides)."""

    __tablename__ = "blood_temperature_excursion"
    __table_args__ = (
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('restocked', 'discarded', 'expired')",
            name="ck_temperature_excursion_outcome",
        ),
        sa.Index("ix_temperature_excursion_org", "organisation_id", "recorded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="blood_unit.id", index=True)
    dispatch_id: int | None = Field(default=None, foreign_key="blood_dispatch.id")
    organisation_id: int = Field(foreign_key="organisation.id")  # the receiving hospital
    recorded_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    recorded_by: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow)
    outcome: str | None = Field(default=None, max_length=16)
    closed_at: datetime | None = None
