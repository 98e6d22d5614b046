"""``Idempotency-Key`` on API POSTs (draft-ietf-httpapi-idempotency-key-header).

A hospital's system that sends an order, times out and sends it again must not order twice.
When a POST under ``/api/`` carries the header, the first successful answer is stored with
the request's fingerprint, in the same transaction as the work itself; the same key again,
from the same organisation, replays that answer (``Idempotency-Replayed: true``) instead of
doing the work twice. The same key with a different request is refused (422); a key whose
first request is still running answers 409, so the client retries a moment later. Refused
requests (4xx) change nothing and store nothing: they can be corrected and sent again with
the same key.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, Response, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, select

from blood import db
from blood.db import utcnow
from blood.errors import Conflict, ValidationFailed

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# API paths that authenticate by a request signature, not a token or a session, and
# deduplicate by this header themselves (the supervision inbound endpoint adds its own).
SIGNED_PATHS: set[str] = set()


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    key: str = Field(max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None  # None while the first request runs
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    content_type: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow)


class KeyReused(ValidationFailed):
    code = "idempotency_key_reused"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def _applies() -> bool:
    return (
        request.method == "POST"
        and request.path.startswith("/api/")
        and HEADER in request.headers
        and request.path not in SIGNED_PATHS
    )


def _before_request():
    if not _applies():
        return None
    from blood.accounts.auth import require_actor

    key = request.headers[HEADER].strip().strip('"')
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed({HEADER: [str(_l("Between 1 and 255 characters."))]})
    actor = require_actor()
    if actor.organisation_id is None:
        return None
    session = db.session()
    fingerprint = _fingerprint()
    # One statement claims the key. On PostgreSQL a racing copy of this request waits here
    # until the first one ends: then it finds the stored answer (or, if the first was refused
    # and rolled back, claims the key itself).
    claimed = _claim(session, actor.organisation_id, key, fingerprint)
    if claimed is not None:
        g.idempotency_record_id = claimed
        return None
    found = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.organisation_id == actor.organisation_id,
            IdempotencyRecord.key == key,
        )
    ).first()
    if found is None:  # claimed and released between our two statements: try once more later
        raise Conflict(_l("A request with this Idempotency-Key is being processed."))
    if found.fingerprint != fingerprint:
        raise KeyReused({HEADER: [str(_l("This key was already used for a different request."))]})
    if found.status_code is None:
        raise Conflict(_l("A request with this Idempotency-Key is being processed."))
    replay = Response(
        found.response_body, status=found.status_code, content_type=found.content_type
    )
    replay.headers["Idempotency-Replayed"] = "true"
    return replay


def _claim(session, organisation_id: int, key: str, fingerprint: str) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new record's id, or None if taken."""
    table = IdempotencyRecord.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(
            organisation_id=organisation_id, key=key, fingerprint=fingerprint, created_at=utcnow()
        )
        .on_conflict_do_nothing(index_elements=["organisation_id", "key"])
        .returning(table.c.id)
    )
    return session.execute(statement).scalar_one_or_none()


def _after_request(response: Response) -> Response:
    record_id = g.pop("idempotency_record_id", None)
    if record_id is not None and response.status_code < 400:
        db.session().execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(
                status_code=response.status_code,
                response_body=response.get_data(as_text=True),
                content_type=response.content_type,
            )
        )
    # A refused request rolls back, taking its claim with it.
    return response


def prune(session, *, older_than: timedelta) -> int:
    """Forget keys older than their retention: a retry comes within minutes or hours, not
    months (run daily by the scheduler, or ``flask --app app blood prune-idempotency-keys``)."""
    result = session.execute(
        sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - older_than)
    )
    return int(result.rowcount or 0)


def init_app(app: Flask) -> None:
    app.before_request(_before_request)
    app.after_request(_after_request)
