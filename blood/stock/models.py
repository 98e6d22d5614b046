"""Blood-centre donations, component units, orders and dispatches, product codes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow
from blood.stock.lifecycle import UnitState

_STATES = ", ".join(f"'{s.value}'" for s in UnitState)
COMPONENTS = ("red_cells", "plasma", "platelets", "cryo")


class ProductCode(SQLModel, table=True):
    """ISBT 128 product description codes in use here (the full table is ICCBBA's, licensed:
    deployments load theirs with ``flask --app app blood load-product-codes FILE.csv``)."""

    __tablename__ = "product_code"
    __table_args__ = (
        sa.CheckConstraint(
            "component IN ('red_cells', 'plasma', 'platelets', 'cryo')", name="ck_product_component"
        ),
    )

    code: str = Field(primary_key=True, max_length=5)
    component: str = Field(max_length=16)
    shelf_life_hours: int
    storage: str = Field(max_length=60)
    name_en: str = Field(max_length=200)
    name_zh: str = Field(max_length=200)
    source: str = Field(default="", max_length=200)


class BloodDonation(SQLModel, table=True):
    """A whole-blood (200/300/400 mL) or apheresis-platelet donation at a blood centre."""

    __tablename__ = "blood_donation"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('whole_blood', 'platelets')", name="ck_blood_donation_kind"),
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


class Unit(SQLModel, table=True):
    """One component: identified by DIN + product code + division, held by one organisation."""

    __tablename__ = "blood_unit"
    __table_args__ = (
        sa.UniqueConstraint("din", "product_code", "division", name="uq_blood_unit_identity"),
        sa.CheckConstraint(f"state IN ({_STATES})", name="ck_blood_unit_state"),
        sa.CheckConstraint("expires_at > collected_at", name="ck_blood_unit_expiry"),
        sa.Index("ix_blood_unit_stock", "owner_id", "state", "component"),
    )

    id: int | None = Field(default=None, primary_key=True)
    din: str = Field(max_length=13, index=True)
    check_character: str = Field(max_length=1)
    product_code: str = Field(foreign_key="product_code.code", max_length=5)
    division: str = Field(default="00", max_length=2)
    component: str = Field(max_length=16)
    abo: str = Field(max_length=2)
    rhd: str = Field(max_length=1)
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
    def blood_group(self) -> str:
        return f"{self.abo}{self.rhd}"

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
    abo: str = Field(max_length=2)
    rhd: str = Field(max_length=1)
    at: datetime = Field(default_factory=utcnow)
    reason: str | None = Field(default=None, max_length=40)


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
