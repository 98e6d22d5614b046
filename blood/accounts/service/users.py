"""Users: creation, log-in with failure counting and lock-out, passwords, language."""

from __future__ import annotations

import logging
import re
import secrets

from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from blood import audit, settings
from blood.accounts.models import Organisation, User
from blood.accounts.roles import ROLES_BY_KIND, OrgKind, Role
from blood.accounts.scoping import Actor, require_own_org, require_role
from blood.accounts.service.login import end_sessions
from blood.db import utcnow
from blood.errors import Forbidden, ValidationFailed
from blood.inputs import clean_text
from blood.pagination import Page, PageRequest, fetch_page

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10


def _hash_password(session: Session, password: str) -> str:
    # Tests set a cheaper PASSWORD_HASH_METHOD; production keeps werkzeug's scrypt default.
    return generate_password_hash(password, method=settings.of(session).password_hash_method)


def _password_errors(password: str, username: str) -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if username and username.lower() in password.lower():
        problems.append(_("The password must not contain the user name."))
    return problems


def create_user(
    *,
    session: Session,
    actor: Actor,
    organisation: Organisation,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    locale: str | None = None,
) -> User:
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
        require_own_org(actor, organisation)
    username = username.strip().lower()
    errors: dict[str, list[str]] = {}
    if not USERNAME_RE.match(username):
        errors["username"] = [_("Use 3–64 lower-case letters, digits, dots, dashes or _.")]
    elif session.exec(select(User.id).where(User.username == username)).first():
        errors["username"] = [_("User name %(name)s is taken.", name=username)]
    try:  # the CLI reaches here without the input layer: the same rule for every caller
        display_name = clean_text(display_name)
    except ValueError as hidden:
        errors["display_name"] = [_("Contains hidden characters: %(which)s.", which=str(hidden))]
    else:
        if not display_name:
            errors["display_name"] = [_("Required.")]
        elif len(display_name) > 100:
            errors["display_name"] = [_("At most {max} characters.").format(max=100)]
    if problems := _password_errors(password, username):
        errors["password"] = problems
    allowed = {r.value for r in ROLES_BY_KIND[OrgKind(organisation.kind)]}
    if not roles:
        errors["roles"] = [_("Choose at least one role.")]
    elif bad := sorted(set(roles) - allowed):
        errors["roles"] = [
            _("Not a role of this kind of organisation: %(roles)s.", roles=", ".join(bad))
        ]
    if locale and locale not in ("zh_CN", "en"):
        errors["locale"] = [_("Choose Chinese or English.")]
    if errors:
        raise ValidationFailed(errors)
    user = User(
        organisation_id=organisation.id,
        username=username,
        display_name=display_name,
        password_hash=_hash_password(session, password),
        roles=sorted(set(roles)),
        locale=locale,
        session_nonce=secrets.token_hex(8),
    )
    session.add(user)
    audit.record(session, actor, "user.create", user, organisation=organisation)
    return user


def actor_for_user(session: Session, user: User) -> Actor:
    org = session.get(Organisation, user.organisation_id)
    return Actor.for_organisation("user", user.id, user.username, org, user.roles)


def change_password(
    *,
    session: Session,
    actor: Actor,
    user: User,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
) -> None:
    """Change one's own password; every other log-in of the user ends (``keep_session`` is
    the token of the browser session making the change, which continues)."""
    if actor.kind != "user" or actor.id != user.id:
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current_password):
        errors["current_password"] = [_("This is not your current password.")]
    if problems := _password_errors(new_password, user.username):
        errors["new_password"] = problems
    elif current_password == new_password:
        errors["new_password"] = [_("Choose a password different from the current one.")]
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = _hash_password(session, new_password)
    user.password_changed_at = utcnow()
    user.session_nonce = secrets.token_hex(8)
    end_sessions(session=session, user=user, reason="password_change", keep_token=keep_session)
    audit.record(session, actor, "user.password_change", user, changes={"password": ["***", "***"]})


def set_locale(*, session: Session, user: User, locale: str) -> None:
    if locale in ("zh_CN", "en") and user.locale != locale:
        before = audit.snapshot(user, ["locale"])
        user.locale = locale
        audit.record(session, actor_for_user(session, user), "user.locale", user, before=before)


def assignable_roles(actor: Actor) -> tuple[Role, ...]:
    """The roles an administrator may give in their own organisation."""
    require_role(actor, Role.ORG_ADMIN)
    return ROLES_BY_KIND[actor.organisation_kind]


def list_users(*, session: Session, actor: Actor, page: PageRequest) -> Page[User]:
    """The members of the administrator's own organisation, a page at a time."""
    require_role(actor, Role.ORG_ADMIN)
    statement = select(User).where(User.organisation_id == actor.organisation_id)
    return fetch_page(session, statement.order_by(User.username), page)
