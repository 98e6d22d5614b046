"""Donors, the shared deferral registry and stations' designated collection areas."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow


class DesignatedArea(SQLModel, table=True):
    """A division (county, city or province code) in a station's designated area (划定采浆区域)."""

    __tablename__ = "designated_area"
    __table_args__ = (sa.UniqueConstraint("station_id", "division_code"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="organisation.id", index=True)
    division_code: str = Field(max_length=6, index=True)


class Donor(SQLModel, table=True):
    """One person, registered once in the whole system, at the station of their area.

    The resident ID and phone number are kept only as a keyed hash (look-up, uniqueness), a
    masked form (display) and ciphertext (recovery); see ``blood.pii``.
    """

    __tablename__ = "donor"
    __audit_redact__: ClassVar[set[str]] = {"address_enc", "phone_enc", "resident_id_enc"}

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="organisation.id", index=True)
    card_number: str = Field(max_length=20, unique=True)
    resident_id_key: str = Field(max_length=64, unique=True)
    resident_id_masked: str = Field(max_length=18)
    resident_id_enc: str = Field(max_length=255)
    name: str = Field(max_length=100)
    sex: str = Field(max_length=1)
    birth_date: date
    household_region: str = Field(max_length=6, index=True)
    phone_key: str | None = Field(default=None, max_length=64, index=True)
    phone_masked: str | None = Field(default=None, max_length=20)
    phone_enc: str | None = Field(default=None, max_length=255)
    address_enc: str | None = Field(default=None, max_length=1000)
    abo: str | None = Field(default=None, max_length=2)
    rhd: str | None = Field(default=None, max_length=1)
    registered_at: datetime = Field(default_factory=utcnow)
    registered_by_id: int | None = Field(default=None, foreign_key="app_user.id")

    @property
    def blood_group(self) -> str:
        return f"{self.abo}{self.rhd}" if self.abo and self.rhd else ""


# Why a donor is deferred (``Deferral.reason_code``); their words are the service's
# (``blood.donors.service.DEFERRAL_REASONS``).
DEFERRAL_REASON_CODES: tuple[str, ...] = (
    "reactive_marker",
    "low_protein",
    "high_alt",
    "low_hb",
    "blood_pressure",
    "recent_illness",
    "medication",
    "tattoo_piercing",
    "pregnancy",
    "adverse_reaction",
    "high_risk_behaviour",
    "other",
)


class Deferral(SQLModel, table=True):
    """Shared by every station: a deferral recorded anywhere blocks the donor everywhere.

    Temporary deferrals end on ``ends_on`` (the donor may donate from that day); permanent
    ones have none and cannot be lifted from the UI.
    """

    __tablename__ = "deferral"
    __table_args__ = (
        sa.CheckConstraint("permanent OR ends_on IS NOT NULL", name="ck_deferral_temporary_end"),
        sa.CheckConstraint("source IN ('screening', 'lab', 'manual')", name="ck_deferral_source"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    permanent: bool = Field(default=False)
    starts_on: date
    ends_on: date | None = Field(default=None)
    reason_code: str = Field(max_length=40)
    source: str = Field(max_length=16)
    station_id: int = Field(foreign_key="organisation.id")
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lifted_at: datetime | None = Field(default=None)
    lifted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    lift_reason: str | None = Field(default=None, max_length=500)

    def active_on(self, day: date) -> bool:
        if self.lifted_at is not None:
            return False
        return self.permanent or (self.starts_on <= day < self.ends_on)


class LookbackTrigger(SQLModel, table=True):
    """A reactive result on one donation, at a plasma station or a blood centre: every
    earlier donation of this donor, and every unit made from it, must be traced (look-back).
    The donation is named by its DIN, which is unique across stations and centres."""

    __tablename__ = "lookback_trigger"

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    din: str = Field(max_length=13, index=True)
    markers: list = Field(default_factory=list, sa_type=sa.JSON)
    status: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
