"""Log-in: password check, throttling of failures, and server-side sessions.

Failures are throttled per (typed user name, address) pair with growing delays (OWASP's
authentication cheat sheet): an attacker guessing from one address slows only their own
attempts, so nobody can lock a real user out by typing their name wrongly on purpose. The
answer is the same for a known and an unknown name, throttled or not. Only an administrator
locks an account (``lock_user``); that is revealed only to someone who knows the password.

A log-in is a ``LoginSession`` row: the browser's cookie carries a random token whose hash is
kept here. Log-out ends the row, so a cookie copied before log-out no longer works anywhere.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from blood import audit, settings
from blood.accounts.models import LoginFailure, LoginSession, Organisation, User
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role
from blood.db import utcnow
from blood.errors import DomainError, NotFound

log = logging.getLogger(__name__)

# A hash to check against when the user name is unknown, so timing does not reveal it.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginFailed(DomainError):
    status = 401
    code = "login_failed"
    template = _l("Unknown user name or wrong password.")


class LoginThrottled(DomainError):
    status = 429
    code = "too_many_requests"
    template = _l(
        "Too many failed log-ins for this user name from this address: wait %(seconds)s "
        "seconds before trying again."
    )


class AccountLocked(DomainError):
    status = 403
    code = "account_locked"
    template = _l(
        "This account is locked by your organisation's administrator. Ask them to unlock it."
    )


# --- throttling ----------------------------------------------------------------------------


def _username_key(session: Session, username: str) -> str:
    return settings.of(session).vault.lookup_key(username, purpose="login-name")


def _throttle_row(session: Session, key: str, remote_addr: str) -> LoginFailure | None:
    return session.exec(
        select(LoginFailure).where(
            LoginFailure.username_key == key, LoginFailure.remote_addr == remote_addr
        )
    ).first()


def delay_after(failures: int, free: int, maximum_seconds: int) -> int:
    """Seconds the pair must wait after its n-th failure: none for the first ``free`` ones,
    then 1, 2, 4, 8 … seconds, never more than ``maximum_seconds``."""
    if failures <= free:
        return 0
    return min(2 ** (failures - free - 1), maximum_seconds)


def _record_failure(session: Session, key: str, remote_addr: str, now: datetime) -> None:
    config = settings.of(session)
    row = _throttle_row(session, key, remote_addr) or LoginFailure(
        username_key=key, remote_addr=remote_addr
    )
    row.failures += 1
    row.last_failed_at = now
    wait = delay_after(row.failures, config.login_free_failures, config.login_delay_max_seconds)
    row.blocked_until = now + timedelta(seconds=wait) if wait else None
    session.add(row)


# --- the log-in ----------------------------------------------------------------------------


def authenticate(
    *, session: Session, username: str, password: str, remote_addr: str | None = None
) -> User:
    """Check a password. Unknown names and wrong passwords get the same answer, and the
    failures of each (name, address) pair are throttled with growing delays."""
    typed = username.strip().lower()
    address = (remote_addr or "unknown")[:64]
    key = _username_key(session, typed)
    now = utcnow()
    throttle = _throttle_row(session, key, address)
    if throttle is not None and throttle.blocked_until and throttle.blocked_until > now:
        seconds = int((throttle.blocked_until - now).total_seconds()) + 1
        raise LoginThrottled(seconds=seconds)
    user = session.exec(select(User).where(User.username == typed)).first()
    known = user is not None and user.active
    password_ok = check_password_hash(user.password_hash if known else _DUMMY_HASH, password)
    if not (known and password_ok):
        _record_failure(session, key, address, now)
        _audit_failure(session, user if known else None, typed, address)
        raise LoginFailed()
    if user.locked_until and user.locked_until > now:
        log.warning("log-in with the right password on a locked account, from %s", address)
        raise AccountLocked()
    if throttle is not None:
        session.delete(throttle)
    user.failed_logins = 0
    user.last_login_at = now
    audit.record(
        session,
        _actor(session, user),
        "user.login",
        user,
        changes={"ip": address},
        organisation=session.get(Organisation, user.organisation_id),
    )
    return user


def _actor(session: Session, user: User) -> Actor:
    org = session.get(Organisation, user.organisation_id)
    return Actor.for_organisation("user", user.id, user.username, org, user.roles)


def _audit_failure(session: Session, user: User | None, typed: str, address: str) -> None:
    """Every failed attempt is audited, for unknown names too (kept by the name's hash)."""
    log.warning("failed log-in from %s", address)
    if user is not None:
        audit.record(
            session,
            _actor(session, user),
            "user.login_failed",
            entity_type="app_user",
            entity_id=user.id,
            changes={"ip": address},
            organisation=session.get(Organisation, user.organisation_id),
        )
        return
    audit.record(
        session,
        Actor.system("login"),
        "user.login_failed",
        entity_type="app_user",
        changes={"user_name_key": _username_key(session, typed), "ip": address},
    )


# --- administrator's lock ------------------------------------------------------------------


def set_account_lock(
    *, session: Session, actor: Actor, user_id: int, locked: bool, hours: int = 24 * 365
) -> User:
    """An administrator locks (or unlocks) an account of their own organisation. Locking
    ends the account's sessions."""
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
    user = session.get(User, user_id)
    if user is None or (not actor.is_system and user.organisation_id != actor.organisation_id):
        raise NotFound()
    before = audit.snapshot(user, ["locked_until"])
    user.locked_until = utcnow() + timedelta(hours=hours) if locked else None
    if locked:
        end_sessions(session=session, user=user, reason="locked")
    audit.record(
        session,
        actor,
        "user.lock" if locked else "user.unlock",
        user,
        before=before,
        organisation=session.get(Organisation, user.organisation_id),
    )
    return user


# --- server-side sessions ------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(*, session: Session, user: User) -> str:
    """A new log-in: the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    hours = settings.of(session).login_session_hours
    session.add(
        LoginSession(
            user_id=user.id,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def end_session(*, session: Session, token: str | None, reason: str = "logout") -> None:
    if not token:
        return
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.token_hash == _hash(token), LoginSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def end_sessions(
    *, session: Session, user: User, reason: str, keep_token: str | None = None
) -> None:
    """End every session of the user (but the one of ``keep_token``, if given)."""
    statement = sa.update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    if keep_token:
        statement = statement.where(LoginSession.token_hash != _hash(keep_token))
    session.execute(statement.values(ended_at=utcnow(), end_reason=reason))


def user_of_session(*, session: Session, user_id: int, token: str | None) -> User | None:
    """The user of a browser session, if its log-in is still alive: one query for the user,
    their organisation and the session."""
    if not token:
        return None
    now = utcnow()
    row = session.exec(
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active,
            Organisation.active,
            LoginSession.token_hash == _hash(token),
            LoginSession.ended_at.is_(None),
            LoginSession.expires_at > now,
        )
    ).first()
    if row is None or (row.locked_until is not None and row.locked_until > now):
        return None
    return row
