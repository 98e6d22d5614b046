"""API tokens: one organisation's systems (a hospital's HIS, say) calling the API."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, settings
from blood.accounts.models import ApiToken, Organisation
from blood.accounts.roles import OrgKind, Role, default_token_roles
from blood.accounts.scoping import Actor, require_own_org, require_role
from blood.db import utcnow
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page

TOKEN_PREFIX = "blood_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, session: Session, actor: Actor, organisation: Organisation, name: str
) -> tuple[ApiToken, str]:
    """A new token for the organisation's systems; the plaintext is returned once, here."""
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
        require_own_org(actor, organisation)
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": [_("Give the token a name of 1–100 characters.")]})
    duplicate = session.exec(
        select(ApiToken.id).where(
            ApiToken.organisation_id == organisation.id,
            ApiToken.name == name,
            ApiToken.revoked_at.is_(None),
        )
    ).first()
    if duplicate:
        raise ValidationFailed({"name": [_("An active token already has this name.")]})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organisation_id=organisation.id,
        name=name,
        token_hash=hash_token(plaintext),
        prefix=plaintext[: len(TOKEN_PREFIX) + 6],
        roles=[r.value for r in default_token_roles(OrgKind(organisation.kind))],
        created_by_id=actor.user_id,
    )
    session.add(token)
    audit.record(session, actor, "api_token.create", token, organisation=organisation)
    return token, plaintext


def list_tokens(*, session: Session, actor: Actor, page: PageRequest) -> Page[ApiToken]:
    """The tokens of the administrator's own organisation, active ones first."""
    require_role(actor, Role.ORG_ADMIN)
    statement = (
        select(ApiToken)
        .where(ApiToken.organisation_id == actor.organisation_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id)
    )
    return fetch_page(session, statement, page)


def revoke_token(*, session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (not actor.is_system and token.organisation_id != actor.organisation_id):
        raise NotFound()
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
    if token.revoked_at is not None:
        raise Conflict(_l("This token is already revoked."))
    before = audit.snapshot(token)
    token.revoked_at = utcnow()
    TOKEN_CACHE.forget(token.id)
    audit.record(
        session,
        actor,
        "api_token.revoke",
        token,
        before=before,
        organisation=session.get(Organisation, token.organisation_id),
    )
    return token


class TokenCache:
    """Token hash → actor, kept for a few seconds in this process, so a busy hospital system's
    requests cost no look-up (two SELECTs) each. A token revoked through this process is
    forgotten at once; other processes forget it within ``ttl`` seconds at most."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Actor | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[1] < time.monotonic():
                del self._entries[key]
                return None
            return entry[0]

    def put(self, key: str, actor: Actor, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            if len(self._entries) > 10_000:  # bounded: drop everything rather than grow
                self._entries.clear()
            self._entries[key] = (actor, time.monotonic() + ttl)

    def forget(self, token_id: int) -> None:
        with self._lock:
            for key in [k for k, (a, _t) in self._entries.items() if a.id == token_id]:
                del self._entries[key]


TOKEN_CACHE = TokenCache()


def actor_for_token(*, session: Session, plaintext: str) -> Actor | None:
    """The actor behind a bearer token, or None if it is unknown or revoked. One query (token
    and organisation together) on a cache miss; none on a hit."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    key = hash_token(plaintext)
    cached = TOKEN_CACHE.get(key)
    if cached is not None:
        return cached
    row = session.exec(
        select(ApiToken, Organisation)
        .join(Organisation, Organisation.id == ApiToken.organisation_id)
        .where(ApiToken.token_hash == key)
    ).first()
    if row is None:
        return None
    token, org = row
    if token.revoked_at is not None or not org.active:
        return None
    now = utcnow()
    # Record use at most once a minute: a busy HIS should not turn every GET into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    actor = Actor.for_organisation("token", token.id, f"token:{token.name}", org, token.roles)
    TOKEN_CACHE.put(key, actor, settings.of(session).api_token_cache_seconds)
    return actor
