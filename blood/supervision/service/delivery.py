"""The outbox: deliveries of summaries to push targets, with retries and a dead-letter list.

States (``supervision_delivery.state``)::

    pending --claim--> in_flight --2xx / DHIS2 SUCCESS--> delivered   (never sent again)
       ^                   |
       |                   +--failure, attempts left--> pending (next_attempt_at = backoff)
       |                   +--failure, last attempt---> dead    (the dead-letter page)
       |                   +--sender died: lease expired--> claimed again
       +------ retry from the page (audited) ------- dead

``deliver_due`` claims each due delivery with one conditional UPDATE (pending and due, or
in flight past the lease), so two schedulers never send the same one at once; the claim is
committed before the request goes out and the outcome is committed after it, so a process
killed in between leaves an ``in_flight`` row that the next run sends again once its lease
has passed — the receiver keeps it once, by its ``Idempotency-Key`` (the summary's uid).

This is the one service that commits (each claim, and each outcome, is its own
transaction): an HTTP call must never run inside a database transaction, and what was
claimed must be visible to the other scheduler at once.
"""

from __future__ import annotations

import logging
import random
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Forbidden
from blood.supervision.formats import Outcome, Outgoing, dhis2, native
from blood.supervision.models import (
    DEAD,
    DELIVERED,
    DHIS2,
    IN_FLIGHT,
    PENDING,
    Delivery,
    PushTarget,
    Summary,
)
from blood.supervision.service import sealed

log = logging.getLogger(__name__)
USER_AGENT = "blood-supervision/1"


@dataclass
class DeliveryRun:
    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.claimed


def backoff(attempts: int, *, base: float, ceiling: float, rand=random.random) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base × 2^(attempts-1), at most the
    ceiling, times a random factor between ½ and 1 (so retries of many deliveries that
    failed together spread out)."""
    delay = min(ceiling, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=delay * (0.5 + rand() / 2))


def _due(now: datetime, lease: timedelta):
    return sa.or_(
        sa.and_(Delivery.state == PENDING, Delivery.next_attempt_at <= now),
        sa.and_(Delivery.state == IN_FLIGHT, Delivery.last_attempt_at <= now - lease),
    )


def sender_name(target: PushTarget, authority: Organisation) -> str:
    """What ``X-Blood-Sender`` says: the target's sender name, by default the authority's
    code (on an upper instance, the name of its inbound source for us)."""
    return (target.username or "").strip() or authority.code


def deliver_due(*, session: Session, actor: Actor, now: datetime, limit: int = 50) -> DeliveryRun:
    """Send up to `limit` due deliveries, oldest due first."""
    if not actor.is_system:
        raise Forbidden()
    figures = settings.of(session)
    lease = timedelta(seconds=figures.push_lease_seconds)
    ids = list(
        session.exec(
            select(Delivery.id)
            .join(PushTarget, PushTarget.id == Delivery.target_id)
            .where(_due(now, lease), PushTarget.active.is_(True))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
        ).all()
    )
    session.commit()
    run = DeliveryRun()
    for delivery_id in ids:
        outgoing = _claim(session, delivery_id, now, lease)
        if outgoing is None:
            continue  # another scheduler took it, or it was no longer due
        run.claimed += 1
        prepared, attempts = outgoing
        outcome = (
            prepared
            if isinstance(prepared, Outcome)
            else send(prepared.outgoing, target_format=prepared.format, figures=figures)
        )
        state = _record(session, delivery_id, attempts, outcome, now)
        if state == DELIVERED:
            run.delivered += 1
        elif state == DEAD:
            run.dead += 1
            run.errors.append(f"delivery {delivery_id}: {outcome.error}")
        else:
            run.retrying += 1
    return run


@dataclass(frozen=True)
class _Prepared:
    outgoing: Outgoing
    format: str


def _claim(session: Session, delivery_id: int, now: datetime, lease: timedelta):
    """Claim one delivery (one conditional UPDATE) and prepare its request, committed
    before anything is sent. None if it was not ours to claim."""
    claimed = session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, _due(now, lease))
        .values(state=IN_FLIGHT, attempts=Delivery.attempts + 1, last_attempt_at=now)
    )
    if claimed.rowcount != 1:
        session.commit()
        return None
    delivery, summary, target = session.execute(
        select(Delivery, Summary, PushTarget)
        .join(Summary, Summary.id == Delivery.summary_id)
        .join(PushTarget, PushTarget.id == Delivery.target_id)
        .where(Delivery.id == delivery_id)
        .execution_options(populate_existing=True)
    ).one()
    authority = session.get(Organisation, summary.authority_id)
    try:
        prepared: _Prepared | Outcome = _Prepared(
            prepare(session, target, authority, summary.document, summary.uid, utcnow()),
            target.format,
        )
    except (dhis2.MappingError, ValueError) as mistake:
        prepared = Outcome(False, None, f"cannot build the request: {mistake}")
    attempts = delivery.attempts
    session.commit()
    return prepared, attempts


def prepare(
    session: Session,
    target: PushTarget,
    authority: Organisation,
    document: dict,
    key: str,
    now: datetime,
) -> Outgoing:
    """The request of one delivery in the target's format, signed at `now` (the clock's
    time: receivers compare it with theirs)."""
    secret = sealed.unseal(session, target.secret_ciphertext)
    if target.format == DHIS2:
        return dhis2.build(
            url=target.url,
            document=document,
            mapping=target.mapping or {},
            key=key,
            username=target.username,
            password=secret,
        )
    if not secret:
        raise ValueError("the target has no signing secret")
    return native.build(
        url=target.url,
        document=document,
        key=key,
        sender=sender_name(target, authority),
        secret=secret,
        now=now,
    )


def send(outgoing: Outgoing, *, target_format: str, figures) -> Outcome:
    """POST the request (with the settings' timeout) and read the answer in the target's
    format. Never raises: a network failure is an outcome too."""
    request = urllib.request.Request(
        outgoing.url,
        data=outgoing.body,
        headers={**outgoing.headers, "User-Agent": USER_AGENT},
        method="POST",
    )
    timeout = figures.push_timeout_seconds
    reader = dhis2.read_answer if target_format == DHIS2 else native.read_answer
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return reader(answer.status, _text(answer.read(65536)))
    except urllib.error.HTTPError as refused:
        return reader(refused.code, _text(refused.read(65536)))
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as lost:
        reason = getattr(lost, "reason", lost)
        return Outcome(False, None, f"no answer: {reason}"[:2000])


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _record(
    session: Session, delivery_id: int, attempts: int, outcome: Outcome, now: datetime
) -> str:
    figures = settings.of(session)
    values: dict = {
        "last_status": outcome.status,
        "last_error": (outcome.error or None) and outcome.error[:2000],
        "conflicts": list(outcome.conflicts),
    }
    if outcome.delivered:
        state = DELIVERED
        values.update(state=DELIVERED, delivered_at=_utc(now))
    elif attempts >= figures.push_max_attempts:
        state = DEAD
        values.update(state=DEAD)
        log.warning(
            "delivery %s is dead after %s attempts: %s", delivery_id, attempts, outcome.error
        )
    else:
        state = PENDING
        wait = backoff(
            attempts,
            base=figures.push_backoff_base_seconds,
            ceiling=figures.push_backoff_max_seconds,
        )
        values.update(state=PENDING, next_attempt_at=now + wait)
    # Only while it is still ours (in flight): a delivery cannot leave "delivered".
    session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == IN_FLIGHT)
        .values(**values)
    )
    session.commit()
    return state


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
