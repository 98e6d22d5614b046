"""Tables of the recruitment sub-domain: recall campaigns, and the contact log of recall calls
to donors."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

__all__ = ["CAMPAIGN_REASONS", "CONTACT_OUTCOMES", "DonorContact", "RecallCampaign"]

CONTACT_OUTCOMES = ("called", "messaged", "declined", "booked", "unreachable")
CAMPAIGN_REASONS = ("shortage", "manual")


class RecallCampaign(SQLModel, table=True):
    """A drive to bring donors of one group back: started by staff from a projected shortage
    (the group, its band and the first day it is projected there, as the forecast said when
    the campaign began) or by hand; its contacts are logged against it, and its return rate
    is the share of the donors contacted who gave again within the return window."""

    __tablename__ = "analytics_recall_campaign"
    __table_args__ = (
        sa.CheckConstraint(
            "reason IN ('shortage', 'manual')", name="ck_analytics_recall_campaign_reason"
        ),
        sa.Index("ix_analytics_recall_campaign_org_started", "organisation_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    component: str = Field(max_length=20)
    abo: str = Field(max_length=2)
    rhd: str = Field(max_length=1)
    reason: str = Field(max_length=10)
    band: str | None = Field(default=None, max_length=5)  # amber | red, for a shortage
    projected_on: date | None = None  # the first day projected in that band
    started_at: datetime = Field(default_factory=utcnow)
    started_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    closed_at: datetime | None = None


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
    campaign_id: int | None = Field(
        default=None, foreign_key="analytics_recall_campaign.id", index=True
    )
