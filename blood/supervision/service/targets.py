"""Push targets and the outbox, as an authority's administrator manages them: the targets
(URL, format, secret or credentials — stored encrypted and never shown again —, which
summaries, the DHIS2 mapping), a test delivery, and the deliveries (the dead-letter list,
one delivery with its last error and conflicts, a retry).

Only an org_admin of an authority manages its targets (the CLI acts as the system); another
authority's target or delivery is "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, settings
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.supervision.formats import Outcome, Outgoing, dhis2, native
from blood.supervision.models import (
    DEAD,
    DELIVERED,
    DHIS2,
    IN_FLIGHT,
    PENDING,
    PUSH_FORMATS,
    SUMMARY_KINDS,
    Delivery,
    PushTarget,
)
from blood.supervision.service import sealed
from blood.supervision.service.delivery import send, sender_name
from blood.supervision.service.push_admin import managed_authority, may_manage_pushes
from blood.supervision.service.summaries import SCHEMA_VERSION

# --- targets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetInput:
    name: str
    url: str
    format: str
    summary_kinds: tuple[str, ...] = ("daily",)
    secret: str | None = None  # blank on an edit: the stored one is kept
    username: str | None = None
    mapping: dict | None = None


@dataclass(frozen=True)
class TargetView:
    target: PushTarget
    pending: int
    delivered: int
    dead: int


def list_targets(
    *, session: Session, actor: Actor, authority_code: str | None = None
) -> list[TargetView]:
    authority = managed_authority(session, actor, authority_code)
    targets = session.exec(
        select(PushTarget)
        .where(PushTarget.authority_id == authority.id)
        .order_by(PushTarget.active.desc(), PushTarget.name)
    ).all()
    counts: dict[tuple[int, str], int] = {}
    if targets:
        rows = session.execute(
            select(Delivery.target_id, Delivery.state, sa.func.count())
            .where(Delivery.target_id.in_([t.id for t in targets]))
            .group_by(Delivery.target_id, Delivery.state)
        ).all()
        counts = {(t, s): n for t, s, n in rows}
    return [
        TargetView(
            t,
            counts.get((t.id, PENDING), 0) + counts.get((t.id, IN_FLIGHT), 0),
            counts.get((t.id, DELIVERED), 0),
            counts.get((t.id, DEAD), 0),
        )
        for t in targets
    ]


def get_target(
    *, session: Session, actor: Actor, target_id: int, authority_code: str | None = None
) -> PushTarget:
    authority = managed_authority(session, actor, authority_code)
    target = session.get(PushTarget, target_id)
    if target is None or target.authority_id != authority.id:
        raise NotFound()
    return target


def target_named(*, session: Session, actor: Actor, authority_code: str, name: str) -> int:
    """The id of the authority's target called `name` (the CLI names targets)."""
    authority = managed_authority(session, actor, authority_code)
    found = session.exec(
        select(PushTarget.id).where(
            PushTarget.authority_id == authority.id, PushTarget.name == name
        )
    ).first()
    if found is None:
        raise NotFound(code=name)
    return found


def _clean(data: TargetInput, *, creating: bool, had_secret: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip() or len(data.name.strip()) > 100:
        errors["name"] = [str(_l("Between 1 and 100 characters."))]
    parts = urlsplit(data.url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or len(data.url) > 500:
        errors["url"] = [str(_l("An http:// or https:// address."))]
    if data.format not in PUSH_FORMATS:
        errors["format"] = [str(_l("Not a push format."))]
    kinds = set(data.summary_kinds)
    if not kinds or not kinds <= set(SUMMARY_KINDS):
        errors["summary_kinds"] = [str(_l("Choose at least one kind of summary."))]
    if not data.secret and (creating or not had_secret):
        errors["secret"] = [
            str(_l("The password of the DHIS2 user."))
            if data.format == DHIS2
            else str(_l("The signing secret shared with the receiver."))
        ]
    if data.secret is not None and data.secret and len(data.secret) < 16 and data.format != DHIS2:
        errors["secret"] = [str(_l("At least 16 characters."))]
    if data.format == DHIS2:
        if not (data.username or "").strip():
            errors["username"] = [str(_l("The DHIS2 user that imports the data."))]
        problems = dhis2.check_mapping(data.mapping or {})
        if problems:
            errors["mapping"] = problems
    return errors


def create_target(
    *, session: Session, actor: Actor, data: TargetInput, authority_code: str | None = None
) -> PushTarget:
    authority = managed_authority(session, actor, authority_code)
    errors = _clean(data, creating=True, had_secret=False)
    if errors:
        raise ValidationFailed(errors, location="form")
    if session.exec(
        select(PushTarget.id).where(
            PushTarget.authority_id == authority.id, PushTarget.name == data.name.strip()
        )
    ).first():
        raise ValidationFailed({"name": [str(_l("Another target has this name."))]})
    target = PushTarget(
        authority_id=authority.id,
        name=data.name.strip(),
        url=data.url.strip(),
        format=data.format,
        secret_ciphertext=sealed.seal(session, data.secret or ""),
        username=(data.username or "").strip() or None,
        summary_kinds=[k for k in SUMMARY_KINDS if k in data.summary_kinds],
        mapping=dict(data.mapping or {}),
        created_by=actor.name,
    )
    session.add(target)
    audit.record(session, actor, "supervision.push_target.create", target, organisation=authority)
    return target


def update_target(
    *, session: Session, actor: Actor, target_id: int, data: TargetInput
) -> PushTarget:
    target = get_target(session=session, actor=actor, target_id=target_id)
    errors = _clean(data, creating=False, had_secret=bool(target.secret_ciphertext))
    if errors:
        raise ValidationFailed(errors, location="form")
    clash = session.exec(
        select(PushTarget.id).where(
            PushTarget.authority_id == target.authority_id,
            PushTarget.name == data.name.strip(),
            PushTarget.id != target.id,
        )
    ).first()
    if clash:
        raise ValidationFailed({"name": [str(_l("Another target has this name."))]})
    before = audit.snapshot(target)
    target.name = data.name.strip()
    target.url = data.url.strip()
    target.format = data.format
    target.username = (data.username or "").strip() or None
    target.summary_kinds = [k for k in SUMMARY_KINDS if k in data.summary_kinds]
    target.mapping = dict(data.mapping or {})
    changes_secret = bool(data.secret)
    if changes_secret:
        target.secret_ciphertext = sealed.seal(session, data.secret)
    session.add(target)
    authority = session.get(Organisation, target.authority_id)
    changes = audit.diff(before, audit.snapshot(target))
    if changes_secret:
        changes["secret_ciphertext"] = [audit.REDACTED, audit.REDACTED]
    audit.record(
        session,
        actor,
        "supervision.push_target.update",
        target,
        changes=changes,
        organisation=authority,
    )
    return target


def deactivate_target(
    *, session: Session, actor: Actor, target_id: int, authority_code: str | None = None
) -> PushTarget:
    """No new deliveries go there; those waiting are not sent while it is inactive."""
    target = get_target(
        session=session, actor=actor, target_id=target_id, authority_code=authority_code
    )
    if not target.active:
        raise Conflict(_l("This target is already inactive."))
    before = audit.snapshot(target)
    target.active = False
    session.add(target)
    audit.record(
        session,
        actor,
        "supervision.push_target.deactivate",
        target,
        before=before,
        organisation=session.get(Organisation, target.authority_id),
    )
    return target


@dataclass(frozen=True)
class TestAnswer:
    target: PushTarget
    outcome: Outcome
    sent: str  # the body sent, to show


def test_document(authority: Organisation, now: datetime) -> dict:
    """A small signed document that says it is a test (receivers keep nothing of it)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "test": True,
        "uid": f"test-{uuid.uuid4()}",
        "authority": {
            "code": authority.code,
            "name_zh": authority.name_zh,
            "name_en": authority.name_en,
        },
        "generated_at": now.isoformat(),
    }


def _dry_run(url: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&dryRun=true" if parts.query else "dryRun=true"
    return urlunsplit(parts._replace(query=query))


def test_delivery(
    *, session: Session, actor: Actor, target_id: int, now: datetime | None = None
) -> TestAnswer:
    """Send a test to the target and say what it answered: a signed test document (native,
    federation), or an empty dry-run import (DHIS2). The transaction is ended before the
    request goes out (the target may be this very instance)."""
    now = now or utcnow()
    target = get_target(session=session, actor=actor, target_id=target_id)
    authority = session.get(Organisation, target.authority_id)
    secret = sealed.unseal(session, target.secret_ciphertext)
    figures = settings.of(session)
    if target.format == DHIS2:
        document: dict = {"dataValues": []}
        built = dhis2.build(
            url=_dry_run(target.url),
            document={"authority": {"code": authority.code}, "period": {"dhis2": "test"}},
            mapping={"orgUnits": {authority.code: "test"}},
            key=str(uuid.uuid4()),
            username=target.username,
            password=secret,
        )
        outgoing = Outgoing(built.url, native.canonical(document), built.headers)
    else:
        document = test_document(authority, now)
        outgoing = native.build(
            url=target.url,
            document=document,
            key=document["uid"],
            sender=sender_name(target, authority),
            secret=secret,
            now=now,
        )
    session.commit()
    outcome = send(outgoing, target_format=target.format, figures=figures)
    return TestAnswer(target, outcome, outgoing.body.decode("utf-8", errors="replace"))


# --- deliveries (their admin reads and the retry live in deliveries_admin; kept here) -------

from blood.supervision.service.deliveries_admin import (  # noqa: E402
    DeliveryView,
    get_delivery,
    list_deliveries,
    retry_delivery,
)

__all__ = [
    "DeliveryView",
    "TargetInput",
    "TargetView",
    "TestAnswer",
    "create_target",
    "deactivate_target",
    "get_delivery",
    "get_target",
    "list_deliveries",
    "list_targets",
    "managed_authority",
    "may_manage_pushes",
    "retry_delivery",
    "target_named",
    "test_delivery",
    "test_document",
]
