"""The organisation that collects (a plasma station or a blood centre) and its calendar day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor, acting_organisation
from blood.db import utcnow

COLLECTING_KINDS = (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE)


def local_today(org: Organisation, now: datetime | None = None) -> date:
    """Today in the organisation's time zone: what "the day of the visit" means there."""
    return (now or utcnow()).astimezone(ZoneInfo(org.timezone)).date()


def require_collecting_org(session: Session, actor: Actor) -> Organisation:
    return acting_organisation(session, actor, *COLLECTING_KINDS)
