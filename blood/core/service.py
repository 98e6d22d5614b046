"""What the home pages and the activity log read: the audit log, scoped to the caller."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.audit import AuditEvent

ACTIVITY_PAGE_SIZE = 50


@dataclass(frozen=True)
class ActivityPage:
    events: list[AuditEvent]
    page: int
    has_next: bool


def may_read_activity(actor: Actor) -> bool:
    """Administrators and inspectors read the activity of what they may see."""
    return actor.has_role(Role.ORG_ADMIN, Role.INSPECTOR)


def _activity(actor: Actor):
    return (
        select(AuditEvent)
        .where(AuditEvent.organisation_id.in_(visible_org_ids(actor)))
        .order_by(AuditEvent.id.desc())
    )


def activity_page(*, session: Session, actor: Actor, page: int = 1) -> ActivityPage:
    """One page of the activity log, newest first, within the actor's scope."""
    require_role(actor, Role.ORG_ADMIN, Role.INSPECTOR)
    page = max(page, 1)
    events = session.exec(
        _activity(actor).offset((page - 1) * ACTIVITY_PAGE_SIZE).limit(ACTIVITY_PAGE_SIZE + 1)
    ).all()
    return ActivityPage(list(events[:ACTIVITY_PAGE_SIZE]), page, len(events) > ACTIVITY_PAGE_SIZE)


def recent_activity(*, session: Session, actor: Actor, limit: int = 10) -> list[AuditEvent]:
    """The latest events for a home page; nothing for those who may not read the log."""
    if not may_read_activity(actor):
        return []
    return list(session.exec(_activity(actor).limit(limit)).all())
