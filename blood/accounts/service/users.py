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
from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
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
    user.must_change_password = False
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


# --- administration of an organisation's users --------------------------------------------
# The same rules for the pages and the CLI (which acts as the system, for any organisation).


def member(*, session: Session, actor: Actor, user_id: int) -> User:
    """A user of the administrator's own organisation (another organisation's: 404)."""
    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
    user = session.get(User, user_id)
    if user is None or (not actor.is_system and user.organisation_id != actor.organisation_id):
        raise NotFound()
    return user


def member_id(*, session: Session, actor: Actor, username: str) -> int:
    """The id of a user by name, within what the actor administers (else 404)."""
    user = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound()
    return member(session=session, actor=actor, user_id=user.id).id


def _not_oneself(actor: Actor, user: User) -> None:
    if actor.kind == "user" and actor.id == user.id:
        raise Conflict(_("You cannot do this to your own account."))


def _organisation_of(session: Session, user: User) -> Organisation:
    return session.get(Organisation, user.organisation_id)


def update_user(
    *, session: Session, actor: Actor, user_id: int, display_name: str, locale: str | None
) -> User:
    """Change a user's display name and language."""
    user = member(session=session, actor=actor, user_id=user_id)
    errors: dict[str, list[str]] = {}
    try:
        display_name = clean_text(display_name)
    except ValueError as hidden:
        errors["display_name"] = [_("Contains hidden characters: %(which)s.", which=str(hidden))]
    else:
        if not display_name:
            errors["display_name"] = [_("Required.")]
        elif len(display_name) > 100:
            errors["display_name"] = [_("At most {max} characters.").format(max=100)]
    if locale and locale not in ("zh_CN", "en"):
        errors["locale"] = [_("Choose Chinese or English.")]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(user, ["display_name", "locale"])
    user.display_name = display_name
    user.locale = locale or None
    audit.record(
        session,
        actor,
        "user.edit",
        user,
        before=before,
        organisation=_organisation_of(session, user),
    )
    return user


def set_user_active(*, session: Session, actor: Actor, user_id: int, active: bool) -> User:
    """Disable (or enable) an account. A disabled user is refused at log-in with the answer a
    wrong password gets, and their sessions end at once."""
    user = member(session=session, actor=actor, user_id=user_id)
    if not active:
        _not_oneself(actor, user)
    if user.active == active:
        return user
    before = audit.snapshot(user, ["active"])
    user.active = active
    if not active:
        user.session_nonce = secrets.token_hex(8)
        end_sessions(session=session, user=user, reason="disabled")
    audit.record(
        session,
        actor,
        "user.enable" if active else "user.disable",
        user,
        before=before,
        organisation=_organisation_of(session, user),
    )
    return user


def reset_password(*, session: Session, actor: Actor, user_id: int, new_password: str) -> User:
    """An administrator sets a new password; the user must change it at their next log-in,
    and their sessions end."""
    user = member(session=session, actor=actor, user_id=user_id)
    _not_oneself(actor, user)
    if problems := _password_errors(new_password, user.username):
        raise ValidationFailed({"new_password": problems})
    user.password_hash = _hash_password(session, new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.session_nonce = secrets.token_hex(8)
    end_sessions(session=session, user=user, reason="password_reset")
    audit.record(
        session,
        actor,
        "user.password_reset",
        user,
        changes={"password": ["***", "***"], "must_change_password": [False, True]},
        organisation=_organisation_of(session, user),
    )
    return user


def set_roles(*, session: Session, actor: Actor, user_id: int, roles: list[str]) -> User:
    """Change a user's roles, among those of their organisation's kind. An administrator
    cannot take the administrator role from themself (someone must remain to give it back)."""
    user = member(session=session, actor=actor, user_id=user_id)
    organisation = _organisation_of(session, user)
    allowed = {r.value for r in ROLES_BY_KIND[OrgKind(organisation.kind)]}
    if not roles:
        raise ValidationFailed({"roles": [_("Choose at least one role.")]})
    if bad := sorted(set(roles) - allowed):
        raise ValidationFailed(
            {
                "roles": [
                    _("Not a role of this kind of organisation: %(roles)s.", roles=", ".join(bad))
                ]
            }
        )
    if actor.kind == "user" and actor.id == user.id and Role.ORG_ADMIN.value not in roles:
        raise ValidationFailed(
            {"roles": [_("You cannot take the administrator role from yourself.")]}
        )
    before = audit.snapshot(user, ["roles"])
    user.roles = sorted(set(roles))
    audit.record(session, actor, "user.roles", user, before=before, organisation=organisation)
    return user
