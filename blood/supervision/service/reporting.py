"""Who has reported lately: each station, blood centre, hospital and manufacturer in scope
with its last record, and whether it has gone silent (a station or hospital with nothing for
``supervision_silent_hours``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.supervision.service.activity import last_reports
from blood.supervision.service.common import reading_organisation


@dataclass(frozen=True)
class ReportStatus:
    organisation: Organisation
    last_record_at: datetime | None
    silent: bool  # a hospital or station with nothing for the silence window


SILENCE_KINDS = (OrgKind.PLASMA_STATION, OrgKind.HOSPITAL)


def reporting_status(
    *, session: Session, actor: Actor, organisation_code: str | None = None
) -> list[ReportStatus]:
    """Every station, blood centre, hospital and manufacturer in scope with its last report,
    silent ones first. Two statements."""
    org = reading_organisation(session, actor, organisation_code)
    reporting = [OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL]
    orgs = list(
        session.exec(
            select(Organisation)
            .where(
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.kind.in_([*reporting, OrgKind.MANUFACTURER]),
                Organisation.active,
            )
            .order_by(Organisation.code)
        ).all()
    )
    last = last_reports(session, [o.id for o in orgs])
    hours = settings.of(session).supervision_silent_hours
    now = utcnow()
    found = [
        ReportStatus(o, last.get(o.id), is_silent(o, last.get(o.id), now, hours)) for o in orgs
    ]
    return sorted(found, key=lambda s: (not s.silent, s.organisation.code))


def is_silent(org: Organisation, last: datetime | None, now: datetime, hours: int) -> bool:
    if org.kind not in SILENCE_KINDS:
        return False
    since = last or org.created_at
    return (now - since).total_seconds() >= hours * 3600
