"""The audit tables: the log's rows (``AuditEvent``) and the signed checkpoints of each chain's
head (``AuditCheckpoint``); ``blood.models`` imports them for Alembic."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from blood.db import utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (sa.UniqueConstraint("chain", "seq", name="uq_audit_log_chain_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # The chain the row belongs to: the id of the organisation whose records changed, 0 for
    # none. ``seq`` is its place in that chain; None until its transaction commits.
    chain: int = Field(default=0)
    seq: int | None = Field(default=None)
    occurred_at: datetime = Field(default_factory=utcnow)
    actor_type: str = Field(max_length=16)
    actor_id: int | None = Field(default=None)
    actor_name: str = Field(max_length=100)
    actor_organisation_code: str | None = Field(default=None, max_length=32)
    # The organisation whose records changed: what scoping of the log is by.
    organisation_id: int | None = Field(default=None, index=True)
    organisation_code: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, index=True)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    changes: dict = Field(default_factory=dict, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the surrogate id and the hash itself."""
        return {
            "chain": self.chain,
            "seq": self.seq,
            "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
            "actor_type": self.actor_type,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "actor_organisation_code": self.actor_organisation_code,
            "organisation_id": self.organisation_id,
            "organisation_code": self.organisation_code,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "changes": self.changes,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        canonical = json.dumps(
            self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class AuditCheckpoint(SQLModel, table=True):
    """A chain's head as a verification found it intact, signed with a key derived from the
    deployment's PII key: the next run starts there and notices a head that moved back."""

    __tablename__ = "audit_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    chain: int = Field(index=True)
    seq: int
    hash: str = Field(max_length=64)
    verified_at: datetime = Field(default_factory=utcnow)
    signature: str = Field(max_length=64)

    def message(self) -> bytes:
        return f"{self.chain}:{self.seq}:{self.hash}:{self.verified_at.isoformat()}".encode()
