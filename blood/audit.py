"""Append-only audit log, chained by SHA-256.

Every write records who (user or token, and organisation), what (action, entity, id, changed
fields before/after with secrets and personal identifiers masked), when and the request id.
Each row stores the previous row's hash and its own hash over its content, and ``seq`` counts
1, 2, 3 … without gaps, so editing a row, deleting one or re-ordering them breaks the chain at
the first affected row. (Deleting the newest rows cannot be seen from the table alone: that
needs the head hash kept elsewhere, which the supervision summaries are to carry.)

On PostgreSQL a transaction-scoped advisory lock serialises writers of the chain, so
concurrent requests never fork it; on SQLite every writing transaction holds the database's
single write lock from its start (``BEGIN IMMEDIATE``, see ``blood.db``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlmodel import Field, Session, SQLModel, select

from blood.accounts.scoping import Actor
from blood.db import utcnow

GENESIS_HASH = "0" * 64
_ADVISORY_LOCK_ID = 0x0B100D_A0D1  # "blood audit"
REDACTED = "***"

# Column names that never reach the log in clear, whatever the model.
_ALWAYS_REDACT = {"password", "password_hash", "token", "token_hash", "secret"}
_PII_SUFFIXES = ("_key", "_enc", "_hash")


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
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
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)

    def content(self) -> dict[str, Any]:
        """What the hash covers: everything but the surrogate id and the hash itself."""
        return {
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


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _redacted_fields(entity: Any) -> set[str]:
    return set(getattr(type(entity), "__audit_redact__", set())) | _ALWAYS_REDACT


def _is_secret(name: str, redact: set[str]) -> bool:
    return name in redact or name.endswith(_PII_SUFFIXES)


def snapshot(entity: Any, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Column values of a model instance, secrets and personal identifiers masked."""
    redact = _redacted_fields(entity)
    names = fields if fields is not None else [c.key for c in sa.inspect(type(entity)).columns]
    return {
        name: REDACTED if _is_secret(name, redact) else _jsonable(getattr(entity, name))
        for name in names
    }


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields that changed (or were created)."""
    return {
        name: [before.get(name), after.get(name)]
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name) or name not in before
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: Any = None,
    *,
    before: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    organisation: Any = None,
) -> AuditEvent:
    """Append one event. ``before`` is a ``snapshot`` taken before the change; the after
    state is read from ``entity`` (flushed here so that a new row has its id).

    ``organisation`` is whose records changed; by default the entity's own organisation
    (its ``organisation_id``, or itself if it is one), else the actor's.
    """
    if entity is not None:
        session.flush()
        entity_type = entity_type or type(entity).__tablename__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
        if changes is None:
            changes = diff(before or {}, snapshot(entity))
    org_id, org_code = _subject_organisation(session, actor, entity, organisation)
    _lock_chain(session)
    last = session.exec(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    event = AuditEvent(
        seq=seq,
        occurred_at=utcnow(),
        actor_type=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_organisation_code=actor.organisation_code,
        organisation_id=org_id,
        organisation_code=org_code,
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        changes=_jsonable(dict(changes or {})),
        request_id=g.get("request_id") if has_request_context() else None,
        prev_hash=prev_hash,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    return event


def _subject_organisation(
    session: Session, actor: Actor, entity: Any, organisation: Any
) -> tuple[int | None, str | None]:
    from blood.accounts.models import Organisation

    if organisation is None and entity is not None:
        if isinstance(entity, Organisation):
            organisation = entity
        elif getattr(entity, "organisation_id", None) is not None:
            organisation = session.get(Organisation, entity.organisation_id)
    if organisation is not None:
        return organisation.id, organisation.code
    return actor.organisation_id, actor.organisation_code


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _ADVISORY_LOCK_ID})


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    id: int | None
    reason: str


def verify(session: Session, *, batch_size: int = 1000) -> tuple[int, ChainBreak | None]:
    """Walk the chain from the start. Returns (rows checked, first break or None)."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    last_seq = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        if not rows:
            return checked, None
        for row in rows:
            if row.seq != expected_seq:
                return checked, ChainBreak(
                    expected_seq, row.id, f"row seq {expected_seq} is missing (next is {row.seq})"
                )
            if row.prev_hash != prev_hash:
                return checked, ChainBreak(
                    row.seq, row.id, "prev_hash does not match the previous row's hash"
                )
            if row.compute_hash() != row.hash:
                return checked, ChainBreak(row.seq, row.id, "content does not match its hash")
            checked += 1
            expected_seq, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
            session.expunge(row)
