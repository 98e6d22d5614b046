"""Each organisation's last report: the time of its latest record of any kind (a visit, a
collection, a laboratory result, a deferral, a shipment or its receipt, a donation, a test
result, a movement of stock, a transfusion, a reaction).

``record_activity`` reads the records of one time range (a day being computed, or the hours
the silence rule looks back over) — one UNION ALL of per-source maxima, each bounded by an
indexed time — and moves each organisation's ``LastReport`` forward, never back.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from blood.clinical.models import AdverseReaction, Transfusion
from blood.db import utcnow
from blood.donors.models import Deferral
from blood.plasma.models import Collection, LabResult, Shipment, Visit
from blood.stock.models import BloodDonation, BloodTestResult, UnitMovement
from blood.supervision.models import LastReport
from blood.supervision.service.common import local_date


def _sources(since: datetime, until: datetime, zone_dates: tuple) -> list[sa.Select]:
    def latest(org, at, *where):
        return (
            select(org.label("org"), sa.func.max(at).label("at"))
            .where(at >= since, at < until, *where)
            .group_by(org)
        )

    first_day, last_day = zone_dates
    return [
        # A visit's date is its station's local date: bounded through (station, date).
        latest(
            Visit.station_id,
            Visit.checked_in_at,
            Visit.visit_date >= first_day,
            Visit.visit_date <= last_day,
        ),
        latest(Collection.station_id, Collection.started_at),
        select(Collection.station_id.label("org"), sa.func.max(LabResult.tested_at).label("at"))
        .join(Collection, Collection.id == LabResult.collection_id)
        .where(LabResult.tested_at >= since, LabResult.tested_at < until)
        .group_by(Collection.station_id),
        latest(Deferral.station_id, Deferral.created_at),
        latest(Shipment.station_id, Shipment.shipped_at),
        latest(Shipment.manufacturer_id, Shipment.received_at),
        latest(BloodDonation.centre_id, BloodDonation.collected_at),
        latest(BloodTestResult.centre_id, BloodTestResult.entered_at),
        latest(UnitMovement.organisation_id, UnitMovement.at),
        latest(Transfusion.hospital_id, Transfusion.recorded_at),
        latest(AdverseReaction.hospital_id, AdverseReaction.recorded_at),
    ]


def record_activity(session: Session, *, since: datetime, until: datetime) -> dict[int, datetime]:
    """Move each organisation's last report forward to its latest record in [since, until);
    returns what was found."""
    # A visit's date is local: the zones furthest west and east bound it for any station.
    dates = (local_date(since, "Etc/GMT+12"), local_date(until, "Etc/GMT-14"))
    union = sa.union_all(*_sources(since, until, dates)).subquery()
    found: dict[int, datetime] = {}
    for org, at in session.execute(
        select(union.c.org, sa.func.max(union.c.at)).group_by(union.c.org)
    ).all():
        if org is not None and at is not None:
            found[org] = _aware(at)
    if found:
        _upsert(session, found)
    return found


def _aware(at) -> datetime:
    """A UNION's max comes back untyped on SQLite (a string): read it as UTC."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at


def _upsert(session: Session, found: dict[int, datetime]) -> None:
    table = LastReport.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    now = utcnow()
    statement = insert(table)
    later = statement.excluded.last_record_at > table.c.last_record_at
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.organisation_id],
            set_={
                "last_record_at": sa.case(
                    (later, statement.excluded.last_record_at), else_=table.c.last_record_at
                ),
                "updated_at": statement.excluded.updated_at,
            },
        ),
        [
            {"organisation_id": org, "last_record_at": at, "updated_at": now}
            for org, at in found.items()
        ],
    )


def last_reports(session: Session, ids: list[int]) -> dict[int, datetime]:
    if not ids:
        return {}
    rows = session.exec(
        select(LastReport.organisation_id, LastReport.last_record_at).where(
            LastReport.organisation_id.in_(ids)
        )
    ).all()
    return dict(rows)
