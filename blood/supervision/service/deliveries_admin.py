"""The outbox's deliveries as an authority's administrator manages them: the dead-letter list,
one delivery with its last error and conflicts, a retry. Another authority's delivery is "not
found"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page
from blood.supervision.models import (
    DEAD,
    DELIVERY_STATES,
    PENDING,
    Delivery,
    PushTarget,
    Summary,
)
from blood.supervision.service.push_admin import managed_authority


@dataclass(frozen=True)
class DeliveryView:
    delivery: Delivery
    summary: Summary
    target: PushTarget


def list_deliveries(
    *, session: Session, actor: Actor, page: PageRequest, state: str | None = DEAD
) -> Page[DeliveryView]:
    """The authority's deliveries in one state (default: dead, the dead-letter list),
    newest first."""
    authority = managed_authority(session, actor)
    if state is not None and state not in DELIVERY_STATES:
        raise ValidationFailed({"state": [", ".join(DELIVERY_STATES)]}, location="query")
    statement = (
        select(Delivery, Summary, PushTarget)
        .join(Summary, Summary.id == Delivery.summary_id)
        .join(PushTarget, PushTarget.id == Delivery.target_id)
        .where(PushTarget.authority_id == authority.id)
        .order_by(Delivery.last_attempt_at.desc(), Delivery.id.desc())
    )
    if state is not None:
        statement = statement.where(Delivery.state == state)
    found = fetch_page(session, statement, page)
    return Page(
        [DeliveryView(d, s, t) for d, s, t in found.items], found.page, found.size, found.total
    )


def get_delivery(*, session: Session, actor: Actor, delivery_id: int) -> DeliveryView:
    authority = managed_authority(session, actor)
    row = session.execute(
        select(Delivery, Summary, PushTarget)
        .join(Summary, Summary.id == Delivery.summary_id)
        .join(PushTarget, PushTarget.id == Delivery.target_id)
        .where(Delivery.id == delivery_id, PushTarget.authority_id == authority.id)
    ).first()
    if row is None:
        raise NotFound()
    return DeliveryView(*row)


def retry_delivery(
    *, session: Session, actor: Actor, delivery_id: int, now: datetime | None = None
) -> Delivery:
    """A dead delivery goes back to pending, due now: one more attempt (if it fails, it is
    dead again). Audited."""
    view = get_delivery(session=session, actor=actor, delivery_id=delivery_id)
    delivery = view.delivery
    if delivery.state != DEAD:
        raise Conflict(_l("Only a dead delivery can be retried."))
    before = audit.snapshot(delivery)
    delivery.state = PENDING
    delivery.next_attempt_at = now or utcnow()
    session.add(delivery)
    audit.record(
        session,
        actor,
        "supervision.delivery.retry",
        delivery,
        before=before,
        organisation=session.get(Organisation, view.target.authority_id),
    )
    return delivery
