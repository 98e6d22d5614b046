"""Authentication: web sessions (Flask-Login) and bearer tokens, resolved to one ``Actor``."""

from __future__ import annotations

from flask import Flask, g, request
from flask import session as flask_session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from blood import db
from blood.accounts import service
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.errors import Unauthorized

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


SESSION_TOKEN = "login"  # the key of the log-in's token in the signed session cookie


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The user of this browser session, if its log-in is alive on the server (it ends at
    log-out, password change, lock or expiry, whatever the cookie says)."""
    ident, _, nonce = user_id.partition(":")
    if not ident.isdigit() or int(ident) > 2**31 - 1:
        return None
    user = service.user_of_session(
        session=db.session(), user_id=int(ident), token=flask_session.get(SESSION_TOKEN)
    )
    if user is None or user.session_nonce != nonce:
        return None
    return user


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_actor() -> Actor | None:
    """The caller of this request: a bearer token wins over a session cookie."""
    if "actor" in g:
        return g.actor
    actor = None
    token = bearer_token()
    if token is not None:
        actor = service.actor_for_token(session=db.session(), plaintext=token)
    elif current_user.is_authenticated:
        actor = service.actor_for_user(db.session(), current_user)
    g.actor = actor
    return actor


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        if bearer_token() is not None:
            raise Unauthorized(_l("The bearer token is unknown or revoked."))
        raise Unauthorized()
    return actor


def current_organisation() -> Organisation | None:
    actor = current_actor()
    if actor is None:
        return None
    return service.acting_organisation_of(session=db.session(), actor=actor)
