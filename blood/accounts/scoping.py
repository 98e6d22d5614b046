"""Who is acting, and what they may see.

This is the one place that decides visibility. An organisation sees itself; an authority sees
its whole subtree (every organisation whose ``path`` starts with its own), nothing beside or
above it. Every query over organisation-owned rows goes through ``visible_org_ids`` or
``restrict_to_visible``; single look-ups go through ``require_visible_org``, which answers
"not found" for what is out of scope so that existence is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import ROLE_LABELS, OrgKind, Role
from blood.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    """A user, an API token or the system (CLI, scheduler), with its organisation."""

    kind: Literal["user", "token", "system"]
    id: int | None
    name: str
    organisation_id: int | None = None
    organisation_code: str | None = None
    organisation_kind: OrgKind | None = None
    organisation_path: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(kind="system", id=None, name=name)

    @classmethod
    def for_organisation(
        cls,
        kind: Literal["user", "token"],
        id: int | None,
        name: str,
        org: Organisation,
        roles: list[str] | tuple[str, ...],
    ) -> Actor:
        return cls(
            kind=kind,
            id=id,
            name=name,
            organisation_id=org.id,
            organisation_code=org.code,
            organisation_kind=OrgKind(org.kind),
            organisation_path=org.path,
            roles=frozenset(roles),
        )

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    @property
    def user_id(self) -> int | None:
        """The acting user's id, for "recorded by" columns (None for tokens and the system)."""
        return self.id if self.kind == "user" else None

    def has_role(self, *roles: Role | str) -> bool:
        return self.is_system or any(str(role) in self.roles for role in roles)


def visible_org_ids(actor: Actor) -> sa.Select:
    """A sub-select of the organisation ids the actor may see."""
    statement = select(Organisation.id)
    if actor.is_system:
        return statement
    return statement.where(_subtree_clause(actor))


def _subtree_clause(actor: Actor) -> sa.ColumnElement[bool]:
    if not actor.organisation_path:
        return sa.false()
    return Organisation.path.startswith(actor.organisation_path, autoescape=True)


def restrict_to_visible(statement: Any, org_column: Any, actor: Actor) -> Any:
    """Add the actor's scope to any statement over rows owned by an organisation."""
    if actor.is_system:
        return statement
    return statement.where(org_column.in_(visible_org_ids(actor)))


def can_see_org(actor: Actor, org: Organisation) -> bool:
    if actor.is_system:
        return True
    return bool(actor.organisation_path) and org.path.startswith(actor.organisation_path)


def require_visible_org(session: Session, actor: Actor, code: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.code == code)).first()
    if org is None or not can_see_org(actor, org):
        raise NotFound(code=code)
    return org


def acting_organisation(session: Session, actor: Actor, *kinds: OrgKind) -> Organisation:
    """The organisation the actor acts for, which must be of one of `kinds`."""
    org = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if org is None or OrgKind(org.kind) not in kinds:
        raise Forbidden()
    return org


def require_role(actor: Actor, *roles: Role) -> None:
    if not actor.has_role(*roles):
        # ``roles`` (codes) for API clients; ``needed`` (the roles' names) for the refused page.
        raise Forbidden(
            roles=", ".join(str(r) for r in roles),
            needed=tuple(ROLE_LABELS.get(r, str(r)) for r in roles),
        )


@dataclass(frozen=True)
class Duty:
    """One thing staff do and the roles that may do it: the service that does it requires it,
    and the page that shows its form asks it — so a form is shown only to those whose submit
    the service accepts, and the others read who does it instead."""

    roles: tuple[Role, ...]

    def allows(self, actor: Actor | None) -> bool:
        return actor is not None and actor.has_role(*self.roles)

    def require(self, actor: Actor) -> None:
        require_role(actor, *self.roles)

    def for_actor(self, actor: Actor | None) -> DutyView:
        """What a page needs: whether to show the form, and else who does this."""
        return DutyView(
            allowed=self.allows(actor),
            needed=tuple(ROLE_LABELS.get(r, str(r)) for r in self.roles),
        )


@dataclass(frozen=True)
class DutyView:
    allowed: bool
    needed: tuple[Any, ...]  # the roles' names (lazy translations)


def require_own_org(actor: Actor, org: Organisation) -> None:
    """Writes are for the actor's own organisation, even where its scope is wider."""
    if not actor.is_system and actor.organisation_id != org.id:
        raise Forbidden()
