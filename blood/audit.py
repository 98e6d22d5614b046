"""Append-only audit log, hash-chained per organisation.

Every write records who (user or token, and organisation), what (action, entity, id, changed
fields before/after with secrets and personal identifiers masked), when and the request id.

Rows form one hash chain per organisation whose records changed (``chain`` = that
organisation's id; 0 for writes that belong to none): each row stores its position in its
chain (``seq``: 1, 2, 3 … without gaps), the previous row's hash and its own hash over its
content, so editing, deleting or re-ordering rows breaks the chain at the first affected row.

Writers never wait for each other while they work: a row is inserted unsealed (no ``seq``,
no hashes) and sealed when its transaction commits (``seal``, a ``before_commit`` hook), in
the order of its chain. Sealing takes a transaction-scoped advisory lock per chain on
PostgreSQL, in ascending chain order (so two sealers never deadlock), held from the seal to
the commit — milliseconds, whatever the transaction did before; writers in different
organisations never wait for each other at all. On SQLite every writing transaction holds the
database's single write lock anyway (``BEGIN IMMEDIATE``, see ``blood.db``).

Deleting the newest rows of a chain cannot be seen from the table alone: ``verify`` keeps
signed checkpoints of each chain's head (``AuditCheckpoint``), so a later run notices a head
that went backwards, and the supervision summaries carry the heads to the authority above.
See docs/audit.md for the design and its proof.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event as sa_event
from sqlmodel import Field, Session, SQLModel, select

from blood.db import utcnow


class AuditActor(Protocol):
    """Who acts, as the log records it (``blood.accounts.scoping.Actor`` is one)."""

    kind: str
    id: int | None
    name: str
    organisation_id: int | None
    organisation_code: str | None


class AuditOrganisation(Protocol):
    """Whose records changed (an ``Organisation``)."""

    id: int | None
    code: str


GENESIS_HASH = "0" * 64
REDACTED = "***"

# Column names that never reach the log in clear, whatever the model.
_ALWAYS_REDACT = {"password", "password_hash", "token", "token_hash", "secret"}
_PII_SUFFIXES = ("_key", "_enc", "_hash")


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
    actor: AuditActor,
    action: str,
    entity: Any = None,
    *,
    before: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    entity_type: str | None = None,
    entity_id: Any = None,
    organisation: AuditOrganisation | None = None,
) -> AuditEvent:
    """Append one event. ``before`` is a ``snapshot`` taken before the change; the after
    state is read from ``entity`` (flushed here so that a new row has its id).

    ``organisation`` is whose records changed (what the log is scoped by); by default the
    actor's own organisation.
    """
    if entity is not None:
        session.flush()
        entity_type = entity_type or type(entity).__tablename__
        entity_id = entity_id if entity_id is not None else getattr(entity, "id", None)
        if changes is None:
            changes = diff(before or {}, snapshot(entity))
    if organisation is not None:
        org_id, org_code = organisation.id, organisation.code
    else:
        org_id, org_code = actor.organisation_id, actor.organisation_code
    event = AuditEvent(
        chain=org_id or 0,
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
    )
    session.add(event)
    session.info.setdefault(_UNSEALED, []).append(event)
    return event


@dataclass(frozen=True)
class Entry:
    """One row for ``record_many``: what ``record`` takes, with the entity named by its type
    and id (an entity's after-state is the caller's ``changes``: nothing is flushed)."""

    action: str
    entity_type: str | None = None
    entity_id: Any = None
    changes: Mapping[str, Any] = field(default_factory=dict)


def record_many(
    session: Session,
    actor: AuditActor,
    entries: Iterable[Entry],
    *,
    organisation: AuditOrganisation | None = None,
) -> list[AuditEvent]:
    """``record`` for many rows of one actor and organisation at once (a batch): the same
    rows, in the order given, added together and inserted by the session's next flush in one
    multi-row INSERT instead of one flush each. They are sealed at commit like every other row
    (``seal``): nothing about the chain changes."""
    if organisation is not None:
        org_id, org_code = organisation.id, organisation.code
    else:
        org_id, org_code = actor.organisation_id, actor.organisation_code
    now = utcnow()
    request_id = g.get("request_id") if has_request_context() else None
    events = [
        AuditEvent(
            chain=org_id or 0,
            occurred_at=now,
            actor_type=actor.kind,
            actor_id=actor.id,
            actor_name=actor.name,
            actor_organisation_code=actor.organisation_code,
            organisation_id=org_id,
            organisation_code=org_code,
            action=entry.action,
            entity_type=entry.entity_type,
            entity_id=None if entry.entity_id is None else str(entry.entity_id),
            changes=_jsonable(dict(entry.changes)),
            request_id=request_id,
        )
        for entry in entries
    ]
    session.add_all(events)
    session.info.setdefault(_UNSEALED, []).extend(events)
    return events


_UNSEALED = "blood.audit.unsealed"
_LOCK_NAMESPACE = 0x0B10  # the first key of the two-key advisory locks: "blood audit"


def seal(session: Session) -> None:
    """Give this transaction's rows their place in their chains, just before it commits."""
    # Rows added inside a savepoint that was rolled back are no longer in the session.
    pending = [e for e in session.info.pop(_UNSEALED, []) if e in session]
    if not pending:
        return
    session.flush()
    by_chain: dict[int, list[AuditEvent]] = {}
    for event in sorted(pending, key=lambda e: e.id or 0):
        by_chain.setdefault(event.chain, []).append(event)
    postgres = session.get_bind().dialect.name == "postgresql"
    for chain in sorted(by_chain):
        if postgres:
            session.execute(
                sa.text("SELECT pg_advisory_xact_lock(:namespace, :chain)"),
                {"namespace": _LOCK_NAMESPACE, "chain": chain},
            )
        head = session.exec(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.chain == chain, AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        ).first()
        seq, prev_hash = head if head else (0, GENESIS_HASH)
        for event in by_chain[chain]:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = event.compute_hash()
    session.flush()


def _forget_unsealed(session: Session, _previous_transaction=None) -> None:
    session.info.pop(_UNSEALED, None)


sa_event.listen(Session, "before_commit", seal)
sa_event.listen(Session, "after_rollback", _forget_unsealed)


@dataclass(frozen=True)
class ChainBreak:
    chain: int
    seq: int
    id: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    checked: int  # rows whose content and links were checked in this run
    chains: int
    breaks: list[ChainBreak]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _signature(key: bytes, checkpoint: AuditCheckpoint) -> str:
    return hmac.new(key, checkpoint.message(), hashlib.sha256).hexdigest()


def verify(
    session: Session,
    *,
    signing_key: bytes | None = None,
    resume: bool = False,
    batch_size: int = 1000,
) -> Verification:
    """Walk every chain and report the first break of each.

    With ``resume`` (and a ``signing_key``), each chain is walked from its latest checkpoint,
    after checking the checkpoint's signature and that its row still has the hash it had:
    the daily run costs the new rows only. When every chain is intact and a key is given, the
    heads are written as new checkpoints.
    """
    chains = session.exec(select(AuditEvent.chain).distinct().order_by(AuditEvent.chain)).all()
    checked, breaks, heads = 0, [], []
    for chain in chains:
        start_seq, prev_hash = 0, GENESIS_HASH
        if resume and signing_key is not None:
            point = _latest_checkpoint(session, chain)
            if point is not None:
                problem = _check_checkpoint(session, signing_key, point)
                if problem is not None:
                    breaks.append(problem)
                    continue
                start_seq, prev_hash = point.seq, point.hash
        count, broken, head = _walk(session, chain, start_seq, prev_hash, batch_size)
        checked += count
        if broken is not None:
            breaks.append(broken)
        elif head is not None:
            heads.append(head)
    unsealed = session.exec(select(AuditEvent).where(AuditEvent.seq.is_(None)).limit(1)).first()
    if unsealed is not None:
        breaks.append(
            ChainBreak(unsealed.chain, 0, unsealed.id, "a committed row was never sealed")
        )
    if not breaks and signing_key is not None:
        for chain, seq, row_hash in heads:
            point = AuditCheckpoint(chain=chain, seq=seq, hash=row_hash, verified_at=utcnow())
            point.signature = _signature(signing_key, point)
            session.add(point)
    return Verification(checked, len(chains), breaks)


def _latest_checkpoint(session: Session, chain: int) -> AuditCheckpoint | None:
    return session.exec(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.chain == chain)
        .order_by(AuditCheckpoint.seq.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).first()


def _check_checkpoint(session: Session, key: bytes, point: AuditCheckpoint) -> ChainBreak | None:
    if not hmac.compare_digest(point.signature, _signature(key, point)):
        return ChainBreak(point.chain, point.seq, None, "a checkpoint's signature is not valid")
    row = session.exec(
        select(AuditEvent).where(AuditEvent.chain == point.chain, AuditEvent.seq == point.seq)
    ).first()
    if row is None:
        return ChainBreak(
            point.chain, point.seq, None, "the row of a checkpoint is gone (rows were deleted)"
        )
    if row.hash != point.hash or row.compute_hash() != row.hash:
        return ChainBreak(point.chain, point.seq, row.id, "the row of a checkpoint was changed")
    return None


def _walk(
    session: Session, chain: int, start_seq: int, prev_hash: str, batch_size: int
) -> tuple[int, ChainBreak | None, tuple[int, int, str] | None]:
    """Check one chain from ``start_seq`` + 1: (rows checked, first break, head)."""
    expected, checked, last_seq, head = start_seq + 1, 0, start_seq, None
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq > last_seq)
            .order_by(AuditEvent.seq)
            .limit(batch_size)
        ).all()
        if not rows:
            return checked, None, head
        for row in rows:
            if row.seq != expected:
                reason = f"row {expected} is missing (next is {row.seq})"
                return checked, ChainBreak(chain, expected, row.id, reason), None
            if row.prev_hash != prev_hash:
                reason = "prev_hash does not match the previous row's hash"
                return checked, ChainBreak(chain, row.seq, row.id, reason), None
            if row.compute_hash() != row.hash:
                reason = "content does not match its hash"
                return checked, ChainBreak(chain, row.seq, row.id, reason), None
            checked += 1
            expected, prev_hash, last_seq = row.seq + 1, row.hash, row.seq
            head = (chain, row.seq, row.hash)
            session.expunge(row)


def heads(
    session: Session, organisation_ids: list[int] | None = None
) -> dict[int, tuple[int, str]]:
    """Each chain's newest sealed row (seq, hash): what a summary sends upwards, so that
    truncating a chain is visible to someone outside this database."""
    latest = (
        select(AuditEvent.chain, sa.func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.seq.is_not(None))
        .group_by(AuditEvent.chain)
    )
    if organisation_ids is not None:
        latest = latest.where(AuditEvent.chain.in_(organisation_ids))
    latest = latest.subquery()
    rows = session.exec(
        select(AuditEvent.chain, AuditEvent.seq, AuditEvent.hash).join(
            latest, sa.and_(AuditEvent.chain == latest.c.chain, AuditEvent.seq == latest.c.seq)
        )
    ).all()
    return {chain: (seq, row_hash) for chain, seq, row_hash in rows}
