"""Closing a look-back case: by the quality role of the organisation that opened it, or by an
inspector of an authority above that organisation; with a required comment; refused while any
of its notices is not acknowledged (the refusal names them). Audited, once: a second close, or
one racing it, finds the case closed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Conflict, Forbidden, NotFound, ValidationFailed
from blood.trace.models import LookbackCase, Notice
from blood.trace.service.cases import _locale, _visible_cases
from blood.trace.service.notices import NOTICE_KIND_WORDS


def may_close_case(actor: Actor | None, case: LookbackCase, opener: Organisation) -> bool:
    """The opener's quality role, or an inspector of an authority over the opener."""
    if actor is None or case.status != "open":
        return False
    if actor.is_system:
        return True
    if actor.organisation_id == case.organisation_id and actor.has_role(Role.QUALITY):
        return True
    return (
        actor.organisation_kind == OrgKind.AUTHORITY
        and actor.has_role(Role.INSPECTOR)
        and bool(actor.organisation_path)
        and (opener.path or "").startswith(actor.organisation_path)
    )


def close_case(
    *, session: Session, actor: Actor, case_id: int, comment: str, now: datetime | None = None
) -> LookbackCase:
    case = session.exec(_visible_cases(actor).where(LookbackCase.id == case_id)).first()
    if case is None:
        raise NotFound()
    opener = session.get(Organisation, case.organisation_id)
    if case.status != "open":
        raise Conflict(_l("This case is already closed."))
    if not may_close_case(actor, case, opener):
        raise Forbidden()
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed({"comment": [str(_l("Say why the case is closed."))]})
    waiting = session.exec(
        select(Notice, Organisation)
        .join(Organisation, Organisation.id == Notice.receiver_id)
        .where(Notice.case_id == case.id, Notice.acknowledged_at.is_(None))
        .order_by(Notice.id)
    ).all()
    if waiting:
        locale = _locale()
        raise Conflict(
            _l("The case cannot be closed while notices are not acknowledged: %(notices)s."),
            notices="; ".join(
                f"{NOTICE_KIND_WORDS[n.kind]} · {receiver.name(locale)} · {n.din}"
                for n, receiver in waiting
            ),
        )
    now = now or utcnow()
    changed = session.execute(
        sa.update(LookbackCase)
        .where(LookbackCase.id == case.id, LookbackCase.status == "open")
        .values(
            status="closed",
            closed_at=now,
            closed_by_id=actor.user_id,
            closed_by=actor.name,
            closing_comment=comment,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(case)
    if not changed:
        raise Conflict(_l("This case is already closed."))
    audit.record(
        session,
        actor,
        "lookback.case_closed",
        case,
        organisation=opener,
        changes={"status": ["open", "closed"], "comment": [None, comment]},
    )
    return case
