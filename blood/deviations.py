"""Deviations: what happened although the rules forbid it, recorded rather than refused.

When the world already did something outside the rules (650 g of plasma collected against a
600 g limit, 450 mL of whole blood), refusing to record it would lose the record of blood
that exists. Instead the collection is kept with its real figures and a deviation: what rule
it broke (``deviation`` and ``deviation_facts``), why it happened (``deviation_reason``,
required from whoever records it), and the quality manager's decision. Until that decision
accepts it, nothing made from the collection may be released.

Each collecting table (a plasma collection, a blood-centre donation) carries these columns by
inheriting ``DeviationRecord``; each package's service decides what accepting or rejecting
means for its units. Supervision reads open and decided deviations from both.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Field, SQLModel

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
STATUSES = (OPEN, ACCEPTED, REJECTED)

STATUS_LABELS = {
    OPEN: _l("Waiting for the quality manager"),
    ACCEPTED: _l("Accepted by the quality manager"),
    REJECTED: _l("Rejected by the quality manager"),
}


class DeviationRecord(SQLModel):
    """The deviation columns of a collecting table (no deviation: all None)."""

    deviation: str | None = Field(default=None, max_length=40)
    deviation_facts: dict = Field(default_factory=dict, sa_type=sa.JSON)
    deviation_reason: str | None = Field(default=None, max_length=500)
    deviation_status: str | None = Field(default=None, max_length=16, index=True)
    deviation_decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    deviation_decided_at: datetime | None = Field(default=None)
    deviation_decision_note: str | None = Field(default=None, max_length=500)

    @property
    def blocks_release(self) -> bool:
        """A deviation not (yet) accepted keeps every unit of the collection from release."""
        return self.deviation is not None and self.deviation_status != ACCEPTED
