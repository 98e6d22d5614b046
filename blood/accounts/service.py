"""Accounts: organisations and the jurisdiction tree, users, login, API tokens."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from blood import audit
from blood.accounts.models import ApiToken, Organisation, User
from blood.accounts.roles import (
    LEVEL_LABELS,
    LEVEL_ORDER,
    ROLES_BY_KIND,
    AuthorityLevel,
    OrgKind,
    Role,
    default_token_roles,
)
from blood.accounts.scoping import (
    Actor,
    require_own_org,
    require_role,
    restrict_to_visible,
    visible_org_ids,
)
from blood.db import utcnow
from blood.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed

log = logging.getLogger(__name__)

ORG_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
DIVISION_RE = re.compile(r"^\d{6}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "blood_"
# A hash to check against when the username is unknown, so timing does not reveal it.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginFailed(DomainError):
    status = 401
    code = "login_failed"
    template = _l("Unknown user name or wrong password.")


class AccountLocked(DomainError):
    status = 403
    code = "account_locked"
    template = _l(
        "Too many failed log-ins: this account is locked until %(until)s. "
        "Ask your organisation's administrator if you need it sooner."
    )


# --- organisations -----------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationInput:
    code: str
    name_zh: str
    name_en: str
    kind: OrgKind
    parent_code: str | None = None
    level: AuthorityLevel | None = None
    division_code: str | None = None
    timezone: str | None = None


def _authority_errors(data: OrganisationInput, parent: Organisation | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if data.level is None:
        errors["level"] = [_("An authority needs a level.")]
        return errors
    code = data.division_code or ""
    if not DIVISION_RE.match(code):
        errors["division_code"] = [_("A division code is 6 digits (GB/T 2260).")]
        return errors
    shape_ok = {
        AuthorityLevel.NATIONAL: code == "000000",
        AuthorityLevel.PROVINCE: code.endswith("0000") and code != "000000",
        AuthorityLevel.CITY: code.endswith("00") and not code.endswith("0000"),
        AuthorityLevel.COUNTY: not code.endswith("00"),
    }[data.level]
    if not shape_ok:
        errors["division_code"] = [
            _(
                "%(code)s is not a division code of this level (%(level)s).",
                code=code,
                level=LEVEL_LABELS[data.level],
            )
        ]
    if parent is None:
        if data.level not in (AuthorityLevel.NATIONAL, AuthorityLevel.PROVINCE):
            errors["parent_code"] = [_("A city or county authority needs a parent authority.")]
        return errors
    parent_level = AuthorityLevel(parent.level)
    if LEVEL_ORDER.index(data.level) <= LEVEL_ORDER.index(parent_level):
        errors["level"] = [_("An authority must sit below its parent's level.")]
    prefix = {AuthorityLevel.PROVINCE: 2, AuthorityLevel.CITY: 4}.get(parent_level, 0)
    if prefix and parent.division_code and code[:prefix] != parent.division_code[:prefix]:
        errors.setdefault("division_code", []).append(
            _("%(code)s is not inside %(parent)s.", code=code, parent=parent.division_code)
        )
    return errors


def create_organisation(*, session: Session, actor: Actor, data: OrganisationInput) -> Organisation:
    """Add an organisation under a parent authority the actor administers (or as system)."""
    errors: dict[str, list[str]] = {}
    code = data.code.strip().upper()
    if not ORG_CODE_RE.match(code):
        errors["code"] = [_("Use 2–32 capital letters, digits or dashes.")]
    elif session.exec(select(Organisation.id).where(Organisation.code == code)).first():
        errors["code"] = [_("Code %(code)s is taken.", code=code)]
    if not data.name_zh.strip():
        errors["name_zh"] = [_("Required.")]
    if not data.name_en.strip():
        errors["name_en"] = [_("Required.")]
    timezone = data.timezone or "Asia/Shanghai"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = [_("Unknown time zone %(tz)s.", tz=timezone)]

    parent = None
    if data.parent_code:
        parent = session.exec(
            select(Organisation).where(Organisation.code == data.parent_code.strip().upper())
        ).first()
        if parent is None or parent.kind != OrgKind.AUTHORITY:
            errors["parent_code"] = [_("The parent must be an existing authority.")]
            parent = None
    if data.kind == OrgKind.AUTHORITY:
        for name, messages in _authority_errors(data, parent).items():
            errors.setdefault(name, []).extend(messages)
    elif not data.parent_code:
        errors["parent_code"] = [_("Every organisation sits in an authority's jurisdiction.")]
    if errors:
        raise ValidationFailed(errors)

    if not actor.is_system:
        # Only an administrator of an authority above may add to its jurisdiction.
        require_role(actor, Role.ORG_ADMIN)
        if actor.organisation_kind != OrgKind.AUTHORITY or parent is None:
            raise Forbidden()
        if not parent.path.startswith(actor.organisation_path or "\0"):
            raise Forbidden()

    is_authority = data.kind == OrgKind.AUTHORITY
    org = Organisation(
        code=code,
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        kind=data.kind.value,
        level=data.level.value if is_authority and data.level else None,
        division_code=data.division_code if is_authority else None,
        parent_id=parent.id if parent else None,
        timezone=timezone,
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    audit.record(session, actor, "organisation.create", org)
    return org


def list_organisations(
    *, session: Session, actor: Actor, kind: OrgKind | None = None
) -> list[Organisation]:
    """The organisations the actor may see, in tree order (each authority followed by its
    jurisdiction; at each level authorities first, then by code)."""
    statement = select(Organisation).where(Organisation.id.in_(visible_org_ids(actor)))
    orgs = list(session.exec(statement).all())
    by_id = {org.id: org for org in orgs}

    def tree_key(org: Organisation) -> tuple:
        ancestry = [int(part) for part in org.path.strip("/").split("/")]
        return tuple(
            (by_id[i].kind != OrgKind.AUTHORITY, by_id[i].code) if i in by_id else (False, "")
            for i in ancestry
        )

    orgs.sort(key=tree_key)
    if kind is not None:
        orgs = [org for org in orgs if org.kind == kind.value]
    return orgs


def organisation_by_code(*, session: Session, code: str) -> Organisation | None:
    return session.exec(select(Organisation).where(Organisation.code == code.upper())).first()


def update_collecting_settings(
    *,
    session: Session,
    actor: Actor,
    organisation: Organisation,
    facility_id: str | None = None,
    rule_profile: str | None = None,
    designated_area: list[str] | None = None,
) -> None:
    """A plasma station's or blood centre's ISBT 128 facility id, rule profile and area."""
    from blood import isbt128
    from blood.donors import rules
    from blood.donors.service import set_designated_area

    if not actor.is_system:
        require_role(actor, Role.ORG_ADMIN)
        require_own_org(actor, organisation)
    if organisation.kind not in (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE):
        raise ValidationFailed({"organisation": [_("Only collecting organisations have these.")]})
    errors: dict[str, list[str]] = {}
    if facility_id is not None:
        facility_id = facility_id.strip().upper()
        taken = session.exec(
            select(Organisation.id).where(
                Organisation.facility_id == facility_id, Organisation.id != organisation.id
            )
        ).first()
        if not isbt128.is_valid_facility_id(facility_id):
            errors["facility_id"] = [_("A letter (not O) or digit 1–9, then 4 digits.")]
        elif taken:
            errors["facility_id"] = [_("Another organisation has this facility id.")]
    if rule_profile is not None and rule_profile not in rules.PROFILES:
        errors["rule_profile"] = [
            _("Unknown profile; known: %(known)s.", known=", ".join(sorted(rules.PROFILES)))
        ]
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(organisation, ["facility_id", "rule_profile"])
    if facility_id is not None:
        organisation.facility_id = facility_id
    if rule_profile is not None:
        organisation.rule_profile = rule_profile
    session.add(organisation)
    audit.record(session, actor, "organisation.collecting_settings", organisation, before=before)
    if designated_area is not None:
        set_designated_area(
            session=session, actor=actor, station=organisation, division_codes=designated_area
        )


# --- users -------------------------------------------------------------------------------


def _hash_password(password: str) -> str:
    # Tests set a cheaper PASSWORD_HASH_METHOD; production keeps werkzeug's scrypt default.
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method or "scrypt")


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
    if not display_name.strip():
        errors["display_name"] = [_("Required.")]
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
        display_name=display_name.strip(),
        password_hash=_hash_password(password),
        roles=sorted(set(roles)),
        locale=locale,
        session_nonce=secrets.token_hex(8),
    )
    session.add(user)
    audit.record(session, actor, "user.create", user)
    return user


def actor_for_user(session: Session, user: User) -> Actor:
    org = session.get(Organisation, user.organisation_id)
    return Actor.for_organisation("user", user.id, user.username, org, user.roles)


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    max_failures: int,
    lock_minutes: int,
    remote_addr: str | None = None,
) -> User:
    """Check a password, counting failures; lock the account after ``max_failures``.

    Unknown user and wrong password give the same answer.
    """
    username = username.strip().lower()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        log.warning("failed login for unknown or inactive user from %s", remote_addr)
        raise LoginFailed()
    actor = actor_for_user(session, user)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        log.warning("login attempt on locked account %s from %s", username, remote_addr)
        raise AccountLocked(until=user.locked_until.strftime("%Y-%m-%d %H:%M UTC"))
    if not check_password_hash(user.password_hash, password):
        before = audit.snapshot(user, ["failed_logins", "locked_until"])
        user.failed_logins += 1
        action = "user.login_failed"
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            action = "user.locked"
        log.warning("%s: %s from %s", action, username, remote_addr)
        audit.record(
            session,
            actor,
            action,
            user,
            changes={**audit.diff(before, audit.snapshot(user, before)), "ip": remote_addr},
        )
        if action == "user.locked":
            raise AccountLocked(until=user.locked_until.strftime("%Y-%m-%d %H:%M UTC"))
        raise LoginFailed()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, actor, "user.login", user, changes={"ip": remote_addr})
    return user


def change_password(
    *, session: Session, actor: Actor, user: User, current_password: str, new_password: str
) -> None:
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
    user.password_hash = _hash_password(new_password)
    user.password_changed_at = utcnow()
    user.session_nonce = secrets.token_hex(8)  # ends the user's other sessions
    audit.record(session, actor, "user.password_change", user, changes={"password": ["***", "***"]})


def set_locale(*, session: Session, user: User, locale: str) -> None:
    if locale in ("zh_CN", "en") and user.locale != locale:
        before = audit.snapshot(user, ["locale"])
        user.locale = locale
        audit.record(session, actor_for_user(session, user), "user.locale", user, before=before)


# --- API tokens --------------------------------------------------------------------------


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
    audit.record(session, actor, "api_token.create", token)
    return token, plaintext


def list_tokens(*, session: Session, actor: Actor) -> list[ApiToken]:
    statement = restrict_to_visible(select(ApiToken), ApiToken.organisation_id, actor)
    return list(session.exec(statement.order_by(ApiToken.created_at.desc())).all())


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
    audit.record(session, actor, "api_token.revoke", token, before=before)
    return token


def actor_for_token(*, session: Session, plaintext: str) -> Actor | None:
    """The actor behind a bearer token, or None if it is unknown or revoked."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(
        select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    org = session.get(Organisation, token.organisation_id)
    if org is None or not org.active:
        return None
    now = utcnow()
    # Record use at most once a minute: a busy HIS should not turn every GET into a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
    return Actor.for_organisation("token", token.id, f"token:{token.name}", org, token.roles)
