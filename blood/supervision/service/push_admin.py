"""Whose push targets and deliveries an actor manages: an org_admin of an authority its own
authority's, the system (the CLI) the one it names."""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role
from blood.errors import Forbidden, NotFound


def managed_authority(
    session: Session, actor: Actor, authority_code: str | None = None
) -> Organisation:
    """The authority whose targets the actor manages: its own (an org_admin of an
    authority), or the one named (the system, from the CLI)."""
    if actor.is_system:
        if not authority_code:
            raise NotFound()
        org = session.exec(
            select(Organisation).where(Organisation.code == authority_code.upper())
        ).first()
        if org is None or org.kind != OrgKind.AUTHORITY:
            raise NotFound(code=authority_code)
        return org
    own = session.get(Organisation, actor.organisation_id) if actor.organisation_id else None
    if own is None or own.kind != OrgKind.AUTHORITY:
        raise Forbidden()
    require_role(actor, Role.ORG_ADMIN)
    if authority_code and authority_code.upper() != own.code:
        raise NotFound(code=authority_code)
    return own


def may_manage_pushes(session: Session, actor: Actor) -> bool:
    """Whether the push pages are the actor's (the menu asks the same as the pages)."""
    try:
        managed_authority(session, actor)
    except (Forbidden, NotFound):
        return False
    return True
