"""Writing the log: ``record`` one event (``record_many`` for a batch), with the changed fields
before/after and secrets and personal identifiers masked (``snapshot``, ``diff``); and
``seal``, which gives a transaction's rows their place in their chains just before it
commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from blood.audit.models import GENESIS_HASH, AuditEvent
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


REDACTED = "***"

# Column names that never reach the log in clear, whatever the model.
_ALWAYS_REDACT = {"password", "password_hash", "token", "token_hash", "secret"}
_PII_SUFFIXES = ("_key", "_enc", "_hash")


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
