"""An organisation administrator's queues: locked accounts, idle API tokens."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.models import ApiToken, User
from blood.accounts.scoping import Actor
from blood.core.queues.common import (
    TOKEN_IDLE_DAYS,
    Queue,
    count,
)
from blood.db import utcnow


def admin_queues(session: Session, actor: Actor) -> list[Queue]:
    now = utcnow()
    locked = select(User.id).where(
        User.organisation_id == actor.organisation_id,
        User.locked_until.is_not(None),
        User.locked_until > now,
    )
    idle_cutoff = now - timedelta(days=TOKEN_IDLE_DAYS)
    idle = select(ApiToken.id).where(
        ApiToken.organisation_id == actor.organisation_id,
        ApiToken.revoked_at.is_(None),
        sa.or_(
            ApiToken.last_used_at < idle_cutoff,
            sa.and_(ApiToken.last_used_at.is_(None), ApiToken.created_at < idle_cutoff),
        ),
    )
    return [
        Queue("locked", str(_l("Locked accounts")), count(session, locked), "accounts.users"),
        Queue(
            "idle_tokens",
            str(_l("API tokens not used for 90 days")),
            count(session, idle),
            "accounts.tokens",
        ),
    ]
