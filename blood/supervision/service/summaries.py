"""Summaries: each authority's indicators and open alerts for the period that just ended,
as the versioned document of ``docs/summary.schema.json``, written with their outbox rows.

``write_summaries`` is the scheduler's job (daily after 06:00 local time, weekly on Monday,
monthly on the 1st): for every authority it writes the summary of the period that ended in
the authority's time zone — yesterday, last ISO week, last month — unless it exists (one per
authority, kind and period: running the job again writes nothing), and in the same
transaction one ``Delivery`` per active push target of that authority that takes this kind.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.errors import Forbidden, ValidationFailed
from blood.pagination import MAX_PAGE_SIZE, PageRequest
from blood.supervision import periods as P
from blood.supervision.indicators import DIMENSIONS, key_of
from blood.supervision.models import (
    DAILY,
    MONTHLY,
    SUMMARY_KINDS,
    WEEKLY,
    Delivery,
    PushTarget,
    Summary,
)
from blood.supervision.service.alerts import open_alerts
from blood.supervision.service.common import local_date
from blood.supervision.service.inbound import jurisdiction_kinds
from blood.supervision.service.rollup import figures, resolve

SCHEMA_VERSION = "1.0"
SCHEMA_ID = "https://blood.example/schemas/summary/1.0"  # $id of docs/summary.schema.json


def period_ended(kind: str, today: date) -> P.Period:
    """The period of `kind` that ended before `today` (a local date)."""
    if kind == DAILY:
        return P.day(today - timedelta(days=1))
    if kind == WEEKLY:
        return P.week(today - timedelta(days=7))
    if kind == MONTHLY:
        return P.month(today.replace(day=1) - timedelta(days=1))
    raise ValidationFailed({"kind": [f"one of {', '.join(SUMMARY_KINDS)}"]})


def write_summaries(
    *, session: Session, actor: Actor, kind: str, now: datetime, zone: str | None = None
) -> int:
    """Write the `kind` summary of every authority (of the time zone `zone` only, when given:
    the scheduler calls it as each zone reaches its hour) for its period that just ended, with
    its deliveries; the number of summaries written (0 when every one exists)."""
    if not actor.is_system:
        raise Forbidden()
    if kind not in SUMMARY_KINDS:
        raise ValidationFailed({"kind": [f"one of {', '.join(SUMMARY_KINDS)}"]})
    statement = select(Organisation).where(
        Organisation.kind == OrgKind.AUTHORITY, Organisation.active.is_(True)
    )
    if zone is not None:
        statement = statement.where(Organisation.timezone == zone)
    authorities = session.exec(statement.order_by(Organisation.path)).all()
    written = 0
    for authority in authorities:
        period = period_ended(kind, local_date(now, authority.timezone))
        exists = session.exec(
            select(Summary.id).where(
                Summary.authority_id == authority.id,
                Summary.kind == kind,
                Summary.period_label == period.label,
            )
        ).first()
        if exists is not None:
            continue
        if _write_one(session, actor, authority, kind, period, now):
            written += 1
    return written


def _write_one(session, actor, authority, kind, period, now) -> bool:
    uid = str(uuid.uuid4())
    document = build_document(
        session=session,
        actor=actor,
        authority=authority,
        kind=kind,
        period=period,
        now=now,
        uid=uid,
    )
    targets = session.exec(
        select(PushTarget).where(
            PushTarget.authority_id == authority.id, PushTarget.active.is_(True)
        )
    ).all()
    try:
        with session.begin_nested():  # a concurrent writer of the same summary wins
            summary = Summary(
                uid=uid,
                authority_id=authority.id,
                kind=kind,
                period_label=period.label,
                period_start=period.start,
                period_end=period.end,
                document=document,
                created_at=now,
            )
            session.add(summary)
            session.flush()
            for target in targets:
                if kind in (target.summary_kinds or []):
                    session.add(
                        Delivery(
                            summary_id=summary.id,
                            target_id=target.id,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
            session.flush()
    except sa.exc.IntegrityError:
        return False
    return True


def build_document(
    *,
    session: Session,
    actor: Actor,
    authority: Organisation,
    kind: str,
    period: P.Period,
    now: datetime,
    uid: str,
) -> dict:
    """The summary document (``docs/summary.schema.json``)."""
    members = select(Organisation.id).where(
        Organisation.path.startswith(authority.path, autoescape=True)
    )
    chosen = resolve(None, jurisdiction_kinds(session, authority))
    found = figures(session, members, period, chosen, tuple(DIMENSIONS))
    alerts = open_alerts(
        session=session,
        actor=actor,
        organisation_code=authority.code,
        page=PageRequest(page=1, size=MAX_PAGE_SIZE),
    )
    member_ids = list(session.exec(members).all())
    codes = dict(
        session.execute(
            select(Organisation.id, Organisation.code).where(Organisation.id.in_(member_ids))
        ).all()
    )
    heads = audit.heads(session, member_ids)
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "uid": uid,
        "authority": {
            "code": authority.code,
            "name_zh": authority.name_zh,
            "name_en": authority.name_en,
            "level": authority.level,
            "division_code": authority.division_code,
            "timezone": authority.timezone,
        },
        "period": {
            "kind": kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "dhis2": period.dhis2,
        },
        "generated_at": _instant(now),
        "audit_heads": [
            {"organisation_code": codes.get(chain, ""), "seq": seq, "hash": digest}
            for chain, (seq, digest) in sorted(heads.items())
            if chain in codes
        ],
        "indicators": [_figure(f) for f in found],
        "alerts": {
            "counts": dict(alerts.counts),
            "total": alerts.total,
            "open": [
                {
                    "id": view.alert.id,
                    "rule": view.alert.rule,
                    "severity": view.alert.severity,
                    "status": view.alert.status,
                    "organisation_code": view.organisation.code,
                    "subject": view.alert.subject,
                    "opened_at": _instant(view.alert.opened_at),
                    "message": str(view.message),
                }
                for view in alerts.page.items
            ],
        },
    }


def _instant(at: datetime) -> str:
    from datetime import UTC

    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _figure(figure) -> dict:
    indicator = figure.indicator
    return {
        "code": indicator.code,
        "name_zh": indicator.name_zh,
        "name_en": indicator.name_en,
        "unit_zh": indicator.unit_zh,
        "unit_en": indicator.unit_en,
        "aggregation": indicator.aggregation,
        "is_rate": indicator.is_rate,
        "value": figure.value,
        "numerator": figure.numerator,
        "denominator": figure.denominator,
        "days": figure.days,
        "last_day": figure.last_day.isoformat() if figure.last_day else None,
        "average": figure.average,
        "dimensions": list(indicator.dimensions),
        "breakdowns": [
            {
                "key": key_of(part.values.get(d, "") for d in indicator.dimensions),
                "values": dict(part.values),
                "numerator": part.numerator,
                "denominator": part.denominator,
                "value": part.value,
            }
            for part in figure.breakdown
        ],
    }
