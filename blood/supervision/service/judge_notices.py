"""Look-back notices not acknowledged by their due time (added by the traceability work).

Supervision and trace are independent (neither imports the other), so the notices are read
through the table itself (``trace_notice``, ``trace_lookback_case``), not trace's models. The
alert is raised at the notice's receiver when supervision watches it (a hospital), else at the
station or centre that opened the case (a manufacturer's overdue recall); it clears itself
once the notice is acknowledged.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from blood.accounts.models import Organisation
from blood.supervision import alert_rules as R
from blood.supervision.service.alerts import Condition

_NOTICE = sa.table(
    "trace_notice",
    sa.column("id"),
    sa.column("case_id"),
    sa.column("kind"),
    sa.column("receiver_id"),
    sa.column("din"),
    sa.column("due_at"),
    sa.column("acknowledged_at"),
)
_CASE = sa.table(
    "trace_lookback_case", sa.column("id"), sa.column("number"), sa.column("organisation_id")
)


def judge_overdue_notices(session: Session, orgs: list[Organisation], now: datetime):
    from blood.supervision.service.evaluate import Judgement

    watched = {o.id for o in orgs}
    rows = session.execute(
        sa.select(
            _NOTICE.c.id,
            _NOTICE.c.kind,
            _NOTICE.c.receiver_id,
            _NOTICE.c.din,
            _NOTICE.c.due_at,
            _CASE.c.number,
            _CASE.c.organisation_id,
        )
        .join(_CASE, _CASE.c.id == _NOTICE.c.case_id)
        .where(_NOTICE.c.acknowledged_at.is_(None), _NOTICE.c.due_at <= now)
    ).all()
    result = Judgement(judged=watched)
    for row in rows:
        at = row.receiver_id if row.receiver_id in watched else row.organisation_id
        if at not in watched:
            continue
        due = row.due_at if isinstance(row.due_at, str) else row.due_at.isoformat()
        result.found.append(
            Condition(
                "notice_overdue",
                at,
                f"notice:{row.id}",
                R.ORANGE,
                {
                    "case": row.number,
                    "kind": row.kind,
                    "din": row.din,
                    "due_at": due,
                    "receiver_id": row.receiver_id,
                },
            )
        )
    return result
