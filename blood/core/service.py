"""What the home pages and the activity log read: the audit log, scoped to the caller, told
in plain words (``blood.core.activity_words``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlmodel import Session, select

from blood.accounts.models import Organisation, User
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, require_role, visible_org_ids
from blood.audit import AuditEvent
from blood.core import activity_words as words
from blood.plasma.models import Collection
from blood.stock.models import Unit
from blood.stock.service.unit_words import DISCARD_REASONS

ACTIVITY_PAGE_SIZE = 50
CSV_MAX_ROWS = 50_000


@dataclass(frozen=True)
class ActivityFilters:
    """What the activity log is narrowed to (all kept in the URL)."""

    person: str | None = None  # a user name or display name, or part of one
    action: str | None = None  # an action code
    record_type: str | None = None  # an entity type
    record_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    tz: tzinfo = UTC  # the dates are days of the reader's time zone


@dataclass(frozen=True)
class ActivityRow:
    event: AuditEvent
    sentence: words.Sentence
    organisation: str = ""  # its name, as people call it (the code when it has none)

    def __getattr__(self, name: str):
        # Callers that read an event's fields (``row.action``) read them through the row.
        return getattr(self.event, name)


@dataclass(frozen=True)
class ActivityPage:
    events: list[AuditEvent]
    page: int
    has_next: bool
    rows: list[ActivityRow]


def may_read_activity(actor: Actor) -> bool:
    """Administrators and inspectors read the activity of what they may see."""
    return actor.has_role(Role.ORG_ADMIN, Role.INSPECTOR)


def _activity(actor: Actor, filters: ActivityFilters | None = None):
    statement = select(AuditEvent).where(AuditEvent.organisation_id.in_(visible_org_ids(actor)))
    f = filters or ActivityFilters()
    if f.person:
        pattern = f"%{f.person.strip().lower()}%"
        users = select(User.id).where(
            User.username.ilike(pattern) | User.display_name.ilike(pattern)
        )
        statement = statement.where(
            AuditEvent.actor_name.ilike(pattern)
            | ((AuditEvent.actor_type == "user") & AuditEvent.actor_id.in_(users))
        )
    if f.action:
        statement = statement.where(AuditEvent.action == f.action)
    if f.record_type:
        statement = statement.where(AuditEvent.entity_type == f.record_type)
    if f.record_id:
        statement = statement.where(AuditEvent.entity_id == f.record_id.strip())
    if f.date_from:
        statement = statement.where(
            AuditEvent.occurred_at >= datetime.combine(f.date_from, time(), f.tz)
        )
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), f.tz)
        statement = statement.where(AuditEvent.occurred_at < end)
    return statement.order_by(AuditEvent.id.desc())


def _ids(events: Iterable[AuditEvent], entity_type: str) -> set[int]:
    return {
        int(e.entity_id)
        for e in events
        if e.entity_type == entity_type and e.entity_id and e.entity_id.isdigit()
    }


def _reason(event: AuditEvent) -> str | None:
    value = (event.changes or {}).get("reason")
    if isinstance(value, list):
        value = value[-1] if value else None
    if not isinstance(value, str) or not value:
        return None
    words = DISCARD_REASONS.get(value)  # a reason code in words; a person's note as typed
    return str(words) if words is not None else value


def tell(*, session: Session, events: list[AuditEvent]) -> list[ActivityRow]:
    """The events in plain words: actors by name, records by their label and page."""
    user_ids = {e.actor_id for e in events if e.actor_type == "user" and e.actor_id}
    user_ids |= _ids(events, "app_user")
    names = {}
    if user_ids:
        names = dict(
            session.exec(select(User.id, User.display_name).where(User.id.in_(user_ids))).all()
        )
    labels: dict[tuple[str, str], str] = {}
    if unit_ids := _ids(events, "blood_unit"):
        for unit in session.exec(select(Unit).where(Unit.id.in_(unit_ids))).all():
            labels[("blood_unit", str(unit.id))] = unit.label
    if collection_ids := _ids(events, "plasma_collection"):
        rows = session.exec(
            select(Collection.id, Collection.din).where(Collection.id.in_(collection_ids))
        ).all()
        labels.update({("plasma_collection", str(i)): din for i, din in rows})
    org_ids = {e.organisation_id for e in events if e.organisation_id is not None}
    org_names = {}
    if org_ids:
        from flask_babel import get_locale

        locale = str(get_locale() or "")
        org_names = {
            org.id: org.name(locale)
            for org in session.exec(select(Organisation).where(Organisation.id.in_(org_ids)))
        }
    for user_id in _ids(events, "app_user"):
        if user_id in names:
            labels[("app_user", str(user_id))] = names[user_id]
    rows = []
    for event in events:
        who = event.actor_name
        if event.actor_type == "user" and event.actor_id in names:
            who = names[event.actor_id]
        rows.append(
            ActivityRow(
                event,
                words.sentence(
                    action=event.action,
                    who=who,
                    entity_type=event.entity_type,
                    entity_id=event.entity_id,
                    record_label=labels.get((event.entity_type or "", event.entity_id or "")),
                    reason=_reason(event),
                ),
                org_names.get(event.organisation_id) or event.organisation_code or "",
            )
        )
    return rows


def activity_page(
    *, session: Session, actor: Actor, page: int = 1, filters: ActivityFilters | None = None
) -> ActivityPage:
    """One page of the activity log, newest first, within the actor's scope."""
    require_role(actor, Role.ORG_ADMIN, Role.INSPECTOR)
    page = max(page, 1)
    events = session.exec(
        _activity(actor, filters)
        .offset((page - 1) * ACTIVITY_PAGE_SIZE)
        .limit(ACTIVITY_PAGE_SIZE + 1)
    ).all()
    shown = list(events[:ACTIVITY_PAGE_SIZE])
    return ActivityPage(
        shown, page, len(events) > ACTIVITY_PAGE_SIZE, tell(session=session, events=shown)
    )


def activity_csv(*, session: Session, actor: Actor, filters: ActivityFilters | None = None) -> str:
    """The filtered log as CSV (UTF-8 with a BOM, so spreadsheet programs read the Chinese)."""
    require_role(actor, Role.ORG_ADMIN, Role.INSPECTOR)
    from flask_babel import gettext as _

    events = list(session.exec(_activity(actor, filters).limit(CSV_MAX_ROWS)).all())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("When (UTC)"), _("Who"), _("Organisation"), _("What happened"), _("Record")])
    for row in tell(session=session, events=events):
        writer.writerow(
            [
                row.event.occurred_at.isoformat(timespec="seconds"),
                row.sentence.who,
                row.organisation,
                row.sentence.text,
                row.sentence.record,
            ]
        )
    return "\ufeff" + out.getvalue()


def recent_activity(*, session: Session, actor: Actor, limit: int = 10) -> list[ActivityRow]:
    """The latest events for a home page, in words; nothing for those who may not read it."""
    if not may_read_activity(actor):
        return []
    return tell(session=session, events=list(session.exec(_activity(actor).limit(limit)).all()))
