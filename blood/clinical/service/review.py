"""The transfusion committee's review: transfusions whose flags wait for a look, transfusions
whose outcome is missing after it fell due, and the committee's "reviewed" with its comment
(audited)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from blood import audit
from blood.accounts.scoping import Actor
from blood.clinical.models import REVIEW_OPEN, REVIEWED, Transfusion
from blood.clinical.service.common import acting_hospital, recording_hospital
from blood.clinical.service.outcomes import missing_clause
from blood.clinical.service.records import TransfusionDetail, details
from blood.db import utcnow
from blood.errors import Conflict, NotFound
from blood.pagination import Page, PageRequest, fetch_page


@dataclass(frozen=True)
class ReviewList:
    flagged: Page[TransfusionDetail]
    missing_outcomes: Page[TransfusionDetail]


def review_list(
    *, session: Session, actor: Actor, flagged_page: PageRequest, missing_page: PageRequest
) -> ReviewList:
    """What waits for the committee at the actor's hospital, oldest first."""
    hospital = acting_hospital(session=session, actor=actor)
    flagged = fetch_page(
        session,
        select(Transfusion)
        .where(Transfusion.hospital_id == hospital.id, Transfusion.review_status == REVIEW_OPEN)
        .order_by(Transfusion.started_at, Transfusion.id),
        flagged_page,
    )
    missing = fetch_page(
        session,
        select(Transfusion)
        .where(Transfusion.hospital_id == hospital.id, missing_clause(utcnow()))
        .order_by(Transfusion.ended_at, Transfusion.id),
        missing_page,
    )
    return ReviewList(
        Page(details(session, flagged.items), flagged.page, flagged.size, flagged.total),
        Page(details(session, missing.items), missing.page, missing.size, missing.total),
    )


def review_transfusion(
    *, session: Session, actor: Actor, transfusion_id: int, comment: str | None
) -> Transfusion:
    """The committee has looked at the transfusion's flags (and its missing outcome, if
    due): it leaves the review list until a new flag comes. Audited, with the comment."""
    hospital = recording_hospital(session=session, actor=actor)
    found = session.get(Transfusion, transfusion_id)
    if found is None or found.hospital_id != hospital.id:
        raise NotFound()
    now = utcnow()
    due = found.outcome_due_at < now
    if found.review_status != REVIEW_OPEN and not due:
        raise Conflict()
    before = audit.snapshot(found, ["review_status", "review_comment", "reviewed_at"])
    found.review_status = REVIEWED if found.review_status else found.review_status
    found.reviewed_at = now
    found.reviewed_by_id = actor.user_id
    found.reviewed_by = actor.name
    found.review_comment = comment
    session.add(found)
    audit.record(
        session,
        actor,
        "transfusion.review",
        found,
        before=before,
        changes={
            "review_status": [before["review_status"], found.review_status],
            "review_comment": [before["review_comment"], comment],
        },
        organisation=hospital,
    )
    return found
