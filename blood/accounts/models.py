"""Organisations (with the jurisdiction tree), users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from blood.accounts.roles import OrgKind
from blood.db import utcnow

_KINDS = ", ".join(f"'{k.value}'" for k in OrgKind)


class Organisation(SQLModel, table=True):
    """An authority, plasma station, blood centre, hospital or manufacturer.

    ``parent_id`` is the authority above (for an authority) or the authority whose
    jurisdiction the organisation sits in. ``path`` is the materialised chain of ids from the
    root, ``/1/4/9/``: an authority's subtree is every organisation whose path starts with its
    own, which makes scoping one indexed prefix test.
    """

    __tablename__ = "organisation"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_KINDS})", name="ck_organisation_kind"),
        sa.CheckConstraint(
            "(kind = 'authority') = (level IS NOT NULL AND division_code IS NOT NULL)",
            name="ck_organisation_authority_fields",
        ),
        # Subtree scoping is `path LIKE '/1/4/%'`; on PostgreSQL a prefix LIKE can use a btree
        # index only with the pattern operator class (whatever the database's collation).
        sa.Index("ix_organisation_path", "path", postgresql_ops={"path": "varchar_pattern_ops"}),
        sa.UniqueConstraint("facility_id", name="uq_organisation_facility_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_zh: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    kind: str = Field(max_length=32, index=True)
    level: str | None = Field(default=None, max_length=16)
    division_code: str | None = Field(default=None, max_length=6, index=True)
    parent_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    path: str = Field(default="", max_length=500)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    # Collecting organisations: ISBT 128 facility identification number (from ICCBBA) and
    # the eligibility rule profile they apply (blood.donors.rules.PROFILES).
    facility_id: str | None = Field(default=None, max_length=5)
    rule_profile: str | None = Field(default=None, max_length=32)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)

    def name(self, locale: str | None) -> str:
        return self.name_en if locale and locale.startswith("en") else self.name_zh

    @property
    def org_kind(self) -> OrgKind:
        return OrgKind(self.kind)


class User(UserMixin, SQLModel, table=True):
    __tablename__ = "app_user"
    __audit_redact__: ClassVar[set[str]] = {"password_hash", "session_nonce"}

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    locale: str | None = Field(default=None, max_length=8)
    active: bool = Field(default=True)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None)
    last_login_at: datetime | None = Field(default=None)
    password_changed_at: datetime = Field(default_factory=utcnow)
    # Set when an administrator resets the password: every page leads to the change form.
    must_change_password: bool = Field(
        default=False, sa_column_kwargs={"server_default": sa.false()}
    )
    # Part of the Flask-Login id: changing it (on a password change) ends every other session.
    session_nonce: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.active


class ApiToken(SQLModel, table=True):
    """A bearer token for one organisation's systems (a hospital's HIS, say).

    Only the SHA-256 of the token is kept: tokens are 256-bit random, so a fast hash is
    enough, and a database leak does not leak working tokens.
    """

    __tablename__ = "api_token"
    __audit_redact__: ClassVar[set[str]] = {"token_hash"}

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    roles: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    last_used_at: datetime | None = Field(default=None)
    revoked_at: datetime | None = Field(default=None)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class LoginSession(SQLModel, table=True):
    """One log-in on one browser. The cookie carries a random token; only its SHA-256 is kept.
    Log-out, a password change or an administrator ends it here, so a copied cookie stops
    working at once, wherever it is."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = Field(default=None)
    end_reason: str | None = Field(default=None, max_length=32)


class LoginFailure(SQLModel, table=True):
    """Failed log-ins of one typed user name from one address (OWASP: throttle the pair, with
    growing delays, rather than lock the account for everyone). The name is kept as a keyed
    hash: it may be someone's mistyped password or phone number."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.UniqueConstraint("username_key", "remote_addr"),)

    id: int | None = Field(default=None, primary_key=True)
    username_key: str = Field(max_length=64)
    remote_addr: str = Field(max_length=64)
    failures: int = Field(default=0)
    last_failed_at: datetime = Field(default_factory=utcnow)
    blocked_until: datetime | None = Field(default=None)
