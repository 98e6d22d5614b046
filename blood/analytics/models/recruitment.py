"""Tables of the recruitment sub-domain: the contact log of recall calls to donors."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

__all__ = ["CONTACT_OUTCOMES", "DonorContact"]

CONTACT_OUTCOMES = ("called", "messaged", "declined", "booked", "unreachable")


class DonorContact(SQLModel, table=True):
    """One attempt to bring a donor back: who contacted them, when, how it went. The next
    recall list skips donors contacted recently; a note never holds a phone number (it is
    bounded and written by staff, and the page says so)."""

    __tablename__ = "analytics_donor_contact"
    __table_args__ = (
        sa.CheckConstraint(
            "outcome IN ('called', 'messaged', 'declined', 'booked', 'unreachable')",
            name="ck_analytics_donor_contact_outcome",
        ),
        sa.Index("ix_analytics_donor_contact_donor_at", "donor_id", "contacted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    donor_id: int = Field(foreign_key="donor.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    outcome: str = Field(max_length=12)
    note: str | None = Field(default=None, max_length=200)
    contacted_at: datetime = Field(default_factory=utcnow)
    contacted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
