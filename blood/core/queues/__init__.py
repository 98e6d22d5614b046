"""Work queues on the home page: what is waiting for each of the actor's roles.

One call per home page (``home_queues``); one module per kind of organisation (``station``,
``centre``, ``hospital``) and one for administrators (``admin``). Every read is a bounded count
or a short list (``FIRST_ROWS``) in its own organisation only, so a queue never counts
another's rows.
"""

from __future__ import annotations

from sqlmodel import Session

from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.core.queues.admin import admin_queues
from blood.core.queues.centre import centre_queues
from blood.core.queues.common import Queue, Row
from blood.core.queues.hospital import hospital_queues
from blood.core.queues.station import station_queues

__all__ = ["Queue", "Row", "home_queues"]


def home_queues(*, session: Session, actor: Actor) -> list[Queue]:
    """The queues the actor's roles work, in its own organisation only."""
    if actor.organisation_id is None:
        return []
    queues: list[Queue] = []
    kind = actor.organisation_kind
    if kind == OrgKind.PLASMA_STATION:
        queues += station_queues(session, actor)
    elif kind == OrgKind.BLOOD_CENTRE:
        queues += centre_queues(session, actor)
    elif kind == OrgKind.HOSPITAL:
        queues += hospital_queues(session, actor)
    if actor.has_role(Role.ORG_ADMIN) and not actor.is_system:
        queues += admin_queues(session, actor)
    return queues
