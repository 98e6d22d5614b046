"""Federation, the upper-level side: the lower instances allowed to push here, and what they
push joining this instance's roll-up as a remote jurisdiction.

An ``InboundSource`` names a lower instance (the ``X-Blood-Sender`` of its pushes), holds its
signing secret (encrypted) and the authority of this instance's tree that stands for it.
``receive`` verifies the signature and the timestamp, keeps each summary once (by its
``Idempotency-Key``: the same key again answers the first result and adds nothing), and
writes a daily summary's figures as indicator facts of that authority for the summary's day
— so the dashboard and ``indicator_report`` show the remote jurisdiction next to this
instance's own organisations. Weekly and monthly summaries are kept, not added (their days
are already in the daily facts).
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from blood.supervision.formats import native
from blood.supervision.indicators import INDICATORS
from blood.supervision.models import (
    DAILY,
    SUMMARY_KINDS,
    InboundSource,
    InboundSummary,
    IndicatorFact,
)
from blood.supervision.service import sealed

log = logging.getLogger(__name__)
SUPPORTED_MAJOR = "1"
NOT_SIGNED = _l("The request is not signed by a known sender, or its timestamp is too old.")


# --- which indicators a jurisdiction has -----------------------------------------------------


def remote_kinds(session: Session, org: Organisation) -> dict[int, set[str]]:
    """The remote jurisdictions in `org`'s subtree (itself included) and, for each, the
    organisation kinds its facts are of (read from the indicators it reported)."""
    rows = session.execute(
        select(IndicatorFact.organisation_id, IndicatorFact.indicator)
        .join(InboundSource, InboundSource.organisation_id == IndicatorFact.organisation_id)
        .join(Organisation, Organisation.id == InboundSource.organisation_id)
        .where(Organisation.path.startswith(org.path, autoescape=True))
        .distinct()
    ).all()
    found: dict[int, set[str]] = {}
    for org_id, code in rows:
        indicator = INDICATORS.get(code)
        if indicator is not None:
            found.setdefault(org_id, set()).update(indicator.kinds)
    return found


def jurisdiction_kinds(session: Session, org: Organisation) -> set[str]:
    """The kinds of organisation below `org` — its own, and those of the remote
    jurisdictions in it — which decide the indicators it has."""
    if org.kind != OrgKind.AUTHORITY:
        return {org.kind}
    kinds = set(
        session.exec(
            select(Organisation.kind)
            .where(Organisation.path.startswith(org.path, autoescape=True))
            .distinct()
        ).all()
    )
    for more in remote_kinds(session, org).values():
        kinds |= more
    return kinds


# --- sources -------------------------------------------------------------------------------


def add_source(
    *, session: Session, actor: Actor, name: str, organisation_code: str
) -> tuple[InboundSource, str]:
    """Allow the lower instance `name` to push; its figures join the authority
    `organisation_code`. Returns the source and its signing secret (shown once)."""
    if not actor.is_system:
        raise Forbidden()
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationFailed({"name": [str(_l("Between 1 and 100 characters."))]})
    org = session.exec(
        select(Organisation).where(Organisation.code == organisation_code.upper())
    ).first()
    if org is None:
        raise NotFound(code=organisation_code)
    if org.kind != OrgKind.AUTHORITY:
        raise ValidationFailed(
            {"org": [str(_l("A remote jurisdiction is an authority of this instance."))]}
        )
    taken = session.exec(
        select(InboundSource).where(
            sa.or_(InboundSource.name == name, InboundSource.organisation_id == org.id)
        )
    ).first()
    if taken is not None:
        raise Conflict(_l("This sender or this authority already has an inbound source."))
    secret = secrets.token_urlsafe(32)
    source = InboundSource(
        name=name,
        organisation_id=org.id,
        secret_ciphertext=sealed.seal(session, secret),
    )
    session.add(source)
    audit.record(session, actor, "supervision.inbound_source.add", source, organisation=org)
    return source, secret


# --- receiving -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    status: int  # 201 the first time, 200 for a replay or a test
    body: dict
    replayed: bool = False


def receive(*, session: Session, headers, body: bytes, now: datetime | None = None) -> Received:
    """One push from a lower instance (the inbound API's one call)."""
    now = now or utcnow()
    source = _verified_source(session, headers, body, now)
    try:
        document = json.loads(body)
    except ValueError:
        raise ValidationFailed({"body": [str(_l("Not JSON."))]}) from None
    if not isinstance(document, dict):
        raise ValidationFailed({"body": [str(_l("A JSON object is expected."))]})
    if document.get("test") is True:
        return Received(200, {"status": "verified", "test": True, "sender": source.name})
    key = (headers.get(native.IDEMPOTENCY_KEY) or "").strip()
    if not key or len(key) > 80:
        raise ValidationFailed(
            {native.IDEMPOTENCY_KEY: [str(_l("Between 1 and 80 characters."))]},
            location="headers",
        )
    found = _existing(session, source, key)
    if found is not None:
        return Received(200, _result(found), replayed=True)
    kind, label, day = _check(document)
    try:
        with session.begin_nested():
            inbound = InboundSummary(
                source_id=source.id,
                idempotency_key=key,
                kind=kind,
                period_label=label,
                document=document,
                received_at=now,
            )
            session.add(inbound)
            session.flush()
    except sa.exc.IntegrityError:  # the same key, arriving twice at once
        found = _existing(session, source, key)
        if found is None:
            raise
        return Received(200, _result(found), replayed=True)
    facts = _add_facts(session, source, document, day, now) if kind == DAILY else 0
    org = session.get(Organisation, source.organisation_id)
    audit.record(
        session,
        Actor.system(f"inbound:{source.name}"),
        "supervision.inbound_summary.receive",
        inbound,
        changes={"key": key, "kind": kind, "period": label, "facts": facts},
        organisation=org,
    )
    return Received(201, _result(inbound))


def _verified_source(session: Session, headers, body: bytes, now: datetime) -> InboundSource:
    sender = (headers.get(native.SENDER) or "").strip()
    source = (
        session.exec(
            select(InboundSource).where(
                InboundSource.name == sender, InboundSource.active.is_(True)
            )
        ).first()
        if sender
        else None
    )
    if source is None:
        log.warning("inbound push refused: unknown sender %r", sender[:100])
        raise Unauthorized(NOT_SIGNED)
    secret = sealed.unseal(session, source.secret_ciphertext)
    try:
        native.verify(headers, body, secret, now)
    except native.SignatureError as refusal:
        log.warning("inbound push from %s refused: %s", source.name, refusal.reason)
        raise Unauthorized(NOT_SIGNED) from None
    return source


def _existing(session: Session, source: InboundSource, key: str) -> InboundSummary | None:
    found = session.exec(
        select(InboundSummary).where(InboundSummary.idempotency_key == key)
    ).first()
    if found is not None and found.source_id != source.id:
        raise Conflict(_l("This Idempotency-Key was used by another sender."))
    return found


def _result(inbound: InboundSummary) -> dict:
    return {
        "status": "accepted",
        "id": inbound.id,
        "idempotency_key": inbound.idempotency_key,
        "kind": inbound.kind,
        "period": inbound.period_label,
        "received_at": inbound.received_at.isoformat(),
    }


def _check(document: dict) -> tuple[str, str, date]:
    """The document's kind, period label and first day; 422 naming what is wrong."""
    version = str(document.get("schema_version", ""))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise ValidationFailed({"schema_version": [f"{SUPPORTED_MAJOR}.x is expected"]})
    period = document.get("period")
    if not isinstance(period, dict) or period.get("kind") not in SUMMARY_KINDS:
        raise ValidationFailed({"period": ["kind, label, start and end are expected"]})
    try:
        start = date.fromisoformat(str(period.get("start")))
    except ValueError:
        raise ValidationFailed({"period": ["start must be a date"]}) from None
    label = str(period.get("label") or start.isoformat())[:24]
    indicators = document.get("indicators")
    if not isinstance(indicators, list) or not all(
        isinstance(f, dict) and isinstance(f.get("code"), str) for f in indicators
    ):
        raise ValidationFailed({"indicators": ["a list of figures is expected"]})
    return period["kind"], label, start


def _number(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    raise ValidationFailed({"indicators": ["numerators and denominators are numbers"]})


def _add_facts(session, source, document: dict, day: date, now: datetime) -> int:
    """The daily figures as facts of the remote jurisdiction for `day` (replacing what an
    earlier summary of that day gave)."""
    rows: dict[tuple[str, str], dict] = {}
    for figure in document["indicators"]:
        indicator = INDICATORS.get(figure["code"])
        if indicator is None:  # a newer sender's indicator this instance does not know
            continue
        numerator = _number(figure.get("numerator")) or 0.0
        rows[(indicator.code, "")] = {
            "numerator": numerator,
            "denominator": _number(figure.get("denominator")),
        }
        for part in figure.get("breakdowns") or []:
            if not isinstance(part, dict) or not isinstance(part.get("key"), str):
                continue
            if not part["key"]:
                continue
            rows[(indicator.code, part["key"][:160])] = {
                "numerator": _number(part.get("numerator")) or 0.0,
                # A rate's parts keep a denominator only when it divides each by its own.
                "denominator": _number(part.get("denominator"))
                if indicator.own_denominators
                else None,
            }
    session.execute(
        sa.delete(IndicatorFact).where(
            IndicatorFact.organisation_id == source.organisation_id, IndicatorFact.day == day
        )
    )
    if rows:
        session.execute(
            sa.insert(IndicatorFact.__table__),
            [
                {
                    "organisation_id": source.organisation_id,
                    "day": day,
                    "indicator": code,
                    "breakdown": key,
                    "numerator": round(values["numerator"], 6),
                    "denominator": None
                    if values["denominator"] is None
                    else round(values["denominator"], 6),
                    "computed_at": now,
                }
                for (code, key), values in rows.items()
            ],
        )
    return len(rows)
