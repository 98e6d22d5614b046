"""The recruitment part of the analytics demo: PS-CHUNAN's registrar has already called one
lapsed donor today (so the recall list shows the rest, and the activity log the call)."""

from __future__ import annotations

from sqlmodel import Session, select

from blood.accounts.models import User
from blood.accounts.service import actor_for_user


def load(session: Session) -> None:
    from blood.analytics.service.recruitment import lapsed_donors, record_contact

    user = session.exec(select(User).where(User.username == "chunan.registrar")).first()
    if user is None:
        return
    actor = actor_for_user(session, user)
    rows = lapsed_donors(session=session, actor=actor)
    if len(rows) > 1:
        record_contact(
            session=session, actor=actor, donor_id=rows[-1].donor.id, outcome="booked",
            note="下周二上午来站",
        )  # fmt: skip
