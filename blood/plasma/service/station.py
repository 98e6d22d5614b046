"""The station the actor works at, its calendar and its quarantine figure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor, acting_organisation


def quarantine_days(session: Session) -> int:
    return settings.of(session).plasma_quarantine_days


def require_station(session: Session, actor: Actor) -> Organisation:
    return acting_organisation(session, actor, OrgKind.PLASMA_STATION)


def local_date_of(moment: datetime, org: Organisation) -> date:
    return moment.astimezone(ZoneInfo(org.timezone)).date()
