"""Alerts: opened once per condition, seen by every authority above the organisation,
acknowledged and closed by inspectors (audited), closed by themselves when the condition
clears; every step kept in the alert's history.

The key of a condition is (rule, organisation, subject). While an alert holds it
(``open_key``), evaluating the condition again only updates that alert: its figures, and its
severity (an escalation reopens an acknowledged alert: it needs a look again). When the
condition clears, the alert closes itself ("cleared") and lets go of the key; the next time
the condition arises, a new alert opens. An inspector who closes an alert whose condition
still holds closes it for good: it stays closed, and keeps the key, until the condition
clears — it does not reopen every fifteen minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor, can_see_org, restrict_to_visible
from blood.db import utcnow
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page
from blood.supervision.alert_rules import LEVEL, RULES, graver
from blood.supervision.models import (
    ACKNOWLEDGED,
    BY_INSPECTOR,
    CLEARED,
    CLOSED,
    OPEN,
    Alert,
    AlertEvent,
)
from blood.supervision.service.common import reading_organisation, require_inspector
from blood.supervision.service.dashboard import members_of
from blood.supervision.service.messages import alert_message

ACTIVE = "active"  # open or acknowledged
STATUS_FILTERS = (ACTIVE, OPEN, ACKNOWLEDGED, CLOSED, "all")
SYSTEM_NAME = "supervision"


@dataclass(frozen=True)
class Condition:
    """What a rule found at one organisation, now."""

    rule: str
    organisation_id: int
    subject: str
    severity: str
    facts: Mapping[str, Any]

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.organisation_id, self.subject)


def alert_key(rule: str, organisation_id: int, subject: str) -> str:
    return f"{rule}:{organisation_id}:{subject}"[:160]


def _event(session: Session, alert: Alert, kind: str, at: datetime, actor=None, comment=None):
    session.add(
        AlertEvent(
            alert_id=alert.id,
            at=at,
            kind=kind,
            severity=alert.severity,
            actor_id=actor.user_id if actor is not None else None,
            actor_name=actor.name if actor is not None else SYSTEM_NAME,
            comment=comment,
            facts=dict(alert.facts or {}),
        )
    )


def raise_condition(
    session: Session, condition: Condition, now: datetime, existing: Alert | None = None
) -> tuple[Alert, str]:
    """Open an alert for the condition, or update the one that holds its key. Returns the
    alert and what happened: opened, escalated, eased, seen."""
    alert = existing
    if alert is None:
        alert = session.exec(select(Alert).where(Alert.open_key == condition.key)).first()
    if alert is None:
        alert = Alert(
            rule=condition.rule,
            organisation_id=condition.organisation_id,
            subject=condition.subject,
            open_key=condition.key,
            severity=condition.severity,
            status=OPEN,
            facts=dict(condition.facts),
            opened_at=now,
            last_seen_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(alert)
                session.flush()
        except sa.exc.IntegrityError:  # opened meanwhile by a racing evaluation
            alert = session.exec(select(Alert).where(Alert.open_key == condition.key)).one()
            return alert, "seen"
        _event(session, alert, "opened", now)
        return alert, "opened"
    alert.last_seen_at = now
    if alert.status == CLOSED:
        return alert, "seen"  # closed by an inspector while the condition lasts
    happened = "seen"
    if condition.severity != alert.severity:
        happened = "escalated" if graver(condition.severity, alert.severity) else "eased"
        alert.severity = condition.severity
        if happened == "escalated" and alert.status == ACKNOWLEDGED:
            alert.status = OPEN
    if dict(condition.facts) != dict(alert.facts or {}):
        alert.facts = dict(condition.facts)
    if happened != "seen":
        alert.updated_at = now
        _event(session, alert, happened, now)
    session.add(alert)
    return alert, happened


def clear(session: Session, alert: Alert, now: datetime) -> None:
    """The condition is gone: an open alert closes itself; a closed one lets go of its key."""
    alert.open_key = None
    alert.cleared_at = now
    alert.updated_at = now
    if alert.status != CLOSED:
        alert.status = CLOSED
        alert.closed_at = now
        alert.closed_reason = CLEARED
    session.add(alert)
    _event(session, alert, "cleared", now)


# --- inspectors -----------------------------------------------------------------------------


class AlertClosed(Conflict):
    code = "alert_closed"
    template = _l("This alert is closed.")


class AlreadyAcknowledged(Conflict):
    code = "alert_acknowledged"
    template = _l("This alert is already acknowledged.")


def _visible_alert(session: Session, actor: Actor, alert_id: int) -> tuple[Alert, Organisation]:
    require_inspector(session, actor)
    alert = session.get(Alert, alert_id)
    org = session.get(Organisation, alert.organisation_id) if alert is not None else None
    if alert is None or org is None or not can_see_org(actor, org):
        raise NotFound()
    return alert, org


def acknowledge_alert(
    *, session: Session, actor: Actor, alert_id: int, comment: str | None = None
) -> Alert:
    """An inspector has seen it: still active, no longer new (audited)."""
    alert, _org = _visible_alert(session, actor, alert_id)
    if alert.status == CLOSED:
        raise AlertClosed(alert=alert.id)
    if alert.status == ACKNOWLEDGED:
        raise AlreadyAcknowledged(alert=alert.id)
    now = utcnow()
    before = audit.snapshot(alert, ["status", "acknowledged_at", "acknowledged_by"])
    alert.status = ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = actor.user_id
    alert.acknowledged_by = actor.name
    alert.updated_at = now
    session.add(alert)
    _event(session, alert, "acknowledged", now, actor, comment)
    audit.record(session, actor, "alert.acknowledge", alert, before=before)
    return alert


def close_alert(*, session: Session, actor: Actor, alert_id: int, comment: str) -> Alert:
    """An inspector closes it, saying why (audited). A condition that still holds does not
    reopen it; once it clears and arises again, a new alert opens."""
    alert, _org = _visible_alert(session, actor, alert_id)
    if not (comment or "").strip():
        raise ValidationFailed({"comment": [_("Say why the alert is closed.")]})
    if alert.status == CLOSED:
        raise AlertClosed(alert=alert.id)
    now = utcnow()
    before = audit.snapshot(alert, ["status", "closed_at", "closed_by", "close_comment"])
    alert.status = CLOSED
    alert.closed_at = now
    alert.closed_by_id = actor.user_id
    alert.closed_by = actor.name
    alert.closed_reason = BY_INSPECTOR
    alert.close_comment = comment.strip()
    alert.updated_at = now
    if not RULES[alert.rule].evaluated:
        alert.open_key = None  # an event does not recur
    session.add(alert)
    _event(session, alert, "closed", now, actor, alert.close_comment)
    audit.record(session, actor, "alert.close", alert, before=before)
    return alert


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    organisation: Organisation

    @property
    def message(self) -> str:
        """The alert as a sentence, in the reader's language."""
        return alert_message(self.alert, self.organisation)


@dataclass(frozen=True)
class AlertDetail:
    alert: Alert
    organisation: Organisation
    events: list[AlertEvent]

    @property
    def message(self) -> str:
        return alert_message(self.alert, self.organisation)


def get_alert(*, session: Session, actor: Actor, alert_id: int) -> AlertDetail:
    """One alert in the inspector's jurisdiction, with its history (oldest first)."""
    alert, org = _visible_alert(session, actor, alert_id)
    events = session.exec(
        select(AlertEvent)
        .where(AlertEvent.alert_id == alert.id)
        .order_by(AlertEvent.at, AlertEvent.id)
    ).all()
    return AlertDetail(alert, org, list(events))


def _statement(session, actor, organisation_code, status, severity, columns=(Alert, Organisation)):
    require_inspector(session, actor)
    statement = (
        select(*columns)
        .select_from(Alert)
        .join(Organisation, Organisation.id == Alert.organisation_id)
    )
    statement = restrict_to_visible(statement, Alert.organisation_id, actor)
    if organisation_code:
        focus = reading_organisation(session, actor, organisation_code)
        statement = statement.where(Alert.organisation_id.in_(members_of(focus)))
    if status == ACTIVE:
        statement = statement.where(Alert.status.in_([OPEN, ACKNOWLEDGED]))
    elif status in (OPEN, ACKNOWLEDGED, CLOSED):
        statement = statement.where(Alert.status == status)
    if severity:
        statement = statement.where(Alert.severity == severity)
    return statement


def list_alerts(
    *,
    session: Session,
    actor: Actor,
    page: PageRequest,
    status: str = ACTIVE,
    severity: str | None = None,
    organisation_code: str | None = None,
) -> Page[AlertView]:
    """Alerts in the inspector's jurisdiction (or below one organisation of it), gravest
    and newest first, a page at a time."""
    rank = sa.case(*((Alert.severity == s, n) for s, n in LEVEL.items()), else_=9)
    statement = _statement(session, actor, organisation_code, status, severity).order_by(
        rank, Alert.opened_at.desc(), Alert.id.desc()
    )
    found = fetch_page(session, statement, page)
    return Page(
        [AlertView(alert, org) for alert, org in found.items], found.page, found.size, found.total
    )


@dataclass(frozen=True)
class OpenAlerts:
    counts: dict[str, int]  # active alerts by severity (every severity present, maybe 0)
    page: Page[AlertView]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def open_alerts(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    page: PageRequest | None = None,
) -> OpenAlerts:
    """The dashboard's alert panel: active alerts counted by severity, and the first page
    of them. Three statements."""
    counted = _statement(
        session, actor, organisation_code, ACTIVE, None, (Alert.severity, sa.func.count())
    )
    rows = session.execute(counted.group_by(Alert.severity)).all()
    counts = {severity: 0 for severity in LEVEL}
    counts.update({severity: n for severity, n in rows})
    return OpenAlerts(
        counts,
        list_alerts(
            session=session,
            actor=actor,
            page=page or PageRequest(),
            organisation_code=organisation_code,
        ),
    )


def acknowledge_alert_detail(
    *, session: Session, actor: Actor, alert_id: int, comment: str | None = None
) -> AlertDetail:
    """Acknowledge, then the alert as it now reads (the API's answer)."""
    acknowledge_alert(session=session, actor=actor, alert_id=alert_id, comment=comment)
    return get_alert(session=session, actor=actor, alert_id=alert_id)


def close_alert_detail(*, session: Session, actor: Actor, alert_id: int, comment: str):
    """Close, then the alert as it now reads (the API's answer)."""
    close_alert(session=session, actor=actor, alert_id=alert_id, comment=comment)
    return get_alert(session=session, actor=actor, alert_id=alert_id)
