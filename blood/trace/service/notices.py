"""Notices: what a look-back case asks of a hospital (a recipient to follow up, a unit to pull)
or a manufacturer (plasma to recall); each receiver reads its own and acknowledges them.
Overdue: not acknowledged by its due time (supervision raises an alert for it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Forbidden, NotFound
from blood.pagination import Page, PageRequest, fetch_page
from blood.trace.models import LookbackCase, Notice

NOTICE_KIND_WORDS = {
    "recall": _l("Recall of shipped plasma"),
    "recipient": _l("Recipient follow-up"),
    "hold": _l("Unit blocked in your stock"),
}
NOTICE_KIND_ASKS = {
    "recall": _l("Quarantine and recall this plasma from your pools; do not use it."),
    "recipient": _l("Follow up the patient (test and counsel) and tell the blood centre."),
    "hold": _l("Pull this unit from your shelves and discard it; it cannot be transfused."),
}


def notice_state(notice: Notice, now: datetime | None = None) -> str:
    """``acknowledged``, ``overdue`` or ``open``."""
    if notice.acknowledged_at is not None:
        return "acknowledged"
    return "overdue" if notice.due_at <= (now or utcnow()) else "open"


NOTICE_STATE_WORDS = {
    "acknowledged": _l("Acknowledged"),
    "overdue": _l("Overdue"),
    "open": _l("Waiting for acknowledgement"),
}


@dataclass(frozen=True)
class NoticeView:
    notice: Notice
    case_number: str
    state: str


def _receiver(actor: Actor) -> int:
    if actor.organisation_id is None:
        raise Forbidden()
    return actor.organisation_id


def list_notices(
    *, session: Session, actor: Actor, page: PageRequest, open_only: bool = False
) -> Page[NoticeView]:
    """The notices sent to the actor's organisation, those waiting first, latest first."""
    statement = (
        select(Notice, LookbackCase.number)
        .join(LookbackCase, LookbackCase.id == Notice.case_id)
        .where(Notice.receiver_id == _receiver(actor))
    )
    if open_only:
        statement = statement.where(Notice.acknowledged_at.is_(None))
    statement = statement.order_by(
        Notice.acknowledged_at.is_not(None), Notice.created_at.desc(), Notice.id.desc()
    )
    found = fetch_page(session, statement, page)
    now = utcnow()
    return replace(
        found, items=[NoticeView(n, number, notice_state(n, now)) for n, number in found.items]
    )


def may_acknowledge(actor: Actor | None, notice: Notice) -> bool:
    return (
        actor is not None
        and notice.receiver_id == actor.organisation_id
        and notice.acknowledged_at is None
        and not actor.has_role(Role.INSPECTOR)
    )


def acknowledge_notice(
    *, session: Session, actor: Actor, notice_id: int, note: str | None = None
) -> NoticeView:
    """The receiver says it has acted on the notice (once; a second time changes nothing)."""
    notice = session.exec(
        select(Notice).where(Notice.id == notice_id, Notice.receiver_id == _receiver(actor))
    ).first()
    if notice is None:
        raise NotFound()
    now = utcnow()
    changed = session.execute(
        sa.update(Notice)
        .where(Notice.id == notice.id, Notice.acknowledged_at.is_(None))
        .values(
            acknowledged_at=now,
            acknowledged_by_id=actor.user_id,
            acknowledged_by=actor.name,
            acknowledgement_note=note,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(notice)
    if changed:
        audit.record(
            session,
            actor,
            "lookback.notice_acknowledged",
            notice,
            organisation=session.get(Organisation, notice.receiver_id),
            changes={"acknowledged_at": [None, now.isoformat()], "note": [None, note]},
        )
    number = session.get(LookbackCase, notice.case_id).number
    return NoticeView(notice, number, notice_state(notice, now))
