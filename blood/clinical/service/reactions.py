"""Adverse transfusion reactions (haemovigilance): reported by the hospital, linked to one or
more of its transfusions of one patient, with category, severity, imputability and outcome.

A reaction whose onset is outside its category's usual window is kept with a warning (the
clinician saw what they saw); severity 3–4 and transfusion-transmitted infections are marked
``alert_required`` for the supervision package to raise at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlmodel import Session, select

from blood import audit, events
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical import rules
from blood.clinical.messages import refusal, warning_text
from blood.clinical.models import AdverseReaction, ReactionTransfusion, Transfusion
from blood.clinical.service.common import (
    CursorPage,
    acting_hospital,
    by_id,
    cursor_page,
    not_in_future,
    profile_of,
    recording_hospital,
    scope,
    scoped_one,
)
from blood.db import utcnow
from blood.errors import NotFound, ValidationFailed
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock import service as stock

MAX_LINKED = 20


@dataclass(frozen=True)
class UnitRef:
    din: str
    product_code: str
    division: str = "00"


@dataclass(frozen=True)
class ReactionInput:
    category: str
    severity: int
    imputability: str
    outcome: str
    onset_at: datetime
    transfusions: tuple[int, ...] = ()
    units: tuple[UnitRef, ...] = ()
    description: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class ReactionDetail:
    reaction: AdverseReaction
    hospital: Organisation
    transfusions: list[Transfusion]

    @property
    def transfusion_ids(self) -> list[int]:
        return [t.id for t in self.transfusions]

    @property
    def warning(self) -> dict[str, str] | None:
        """The onset warning in the request's language, if any."""
        found = self.reaction.onset_warning
        if not found:
            return None
        return {"code": found.get("code", ""), "message": warning_text(found)}


def _linked(
    session: Session, actor: Actor, hospital: Organisation, data: ReactionInput
) -> list[Transfusion]:
    """The hospital's transfusions the report names, by id or by unit (not found when one
    is not this hospital's)."""
    found: dict[int, Transfusion] = {}
    for transfusion_id in data.transfusions:
        row = session.get(Transfusion, transfusion_id)
        if row is None or row.hospital_id != hospital.id:
            raise NotFound(transfusion=transfusion_id)
        found[row.id] = row
    for ref in data.units:
        unit = stock.find_unit(
            session=session,
            actor=actor,
            din=ref.din,
            product_code=ref.product_code,
            division=ref.division,
        )
        row = session.exec(
            select(Transfusion).where(
                Transfusion.unit_id == unit.id, Transfusion.hospital_id == hospital.id
            )
        ).first()
        if row is None:
            raise NotFound(unit=unit.label)
        found[row.id] = row
    return sorted(found.values(), key=lambda t: (t.started_at, t.id))


def record_reaction(*, session: Session, actor: Actor, data: ReactionInput) -> AdverseReaction:
    """Report an adverse reaction to one or more of the hospital's transfusions (of one
    patient). See the module for what is refused, warned and alerted."""
    hospital = recording_hospital(session=session, actor=actor)
    if not data.transfusions and not data.units:
        raise ValidationFailed(
            {"transfusions": [_("Name at least one transfusion: its record or its unit.")]}
        )
    if len(data.transfusions) + len(data.units) > MAX_LINKED:
        raise ValidationFailed({"transfusions": [_("At most %(n)d.", n=MAX_LINKED)]})
    if data.reference:
        existing = session.exec(
            select(AdverseReaction.id).where(
                AdverseReaction.hospital_id == hospital.id,
                AdverseReaction.reference == data.reference,
            )
        ).first()
        if existing is not None:
            raise refusal("duplicate_reference", reference=data.reference, existing=existing)
    now = utcnow()
    not_in_future(data.onset_at, "onset_at", now=now)
    linked = _linked(session, actor, hospital, data)
    if len({t.patient_key for t in linked}) > 1:
        raise refusal("reaction_transfusions_differ")
    finding = rules.onset(
        profile_of(session),
        data.category,
        data.onset_at,
        [(t.started_at, t.ended_at) for t in linked],
    )
    if finding is not None and finding.refuses:
        raise refusal(finding.code, **finding.facts)
    warning = {"code": finding.code, "facts": dict(finding.facts)} if finding is not None else None
    reaction = AdverseReaction(
        hospital_id=hospital.id,
        reference=data.reference,
        category=data.category,
        severity=data.severity,
        imputability=data.imputability,
        outcome=data.outcome,
        onset_at=data.onset_at,
        description=data.description,
        onset_warning=warning,
        alert_required=rules.alert_required(data.category, data.severity),
        recorded_at=now,
        recorded_by_id=actor.user_id,
        recorded_by=actor.name,
    )
    try:
        with session.begin_nested():
            session.add(reaction)
            session.flush()
    except sa.exc.IntegrityError:  # the same reference, racing: one is kept
        raise refusal("duplicate_reference", reference=data.reference, existing=None) from None
    session.add_all(
        ReactionTransfusion(reaction_id=reaction.id, transfusion_id=t.id) for t in linked
    )
    audit.record(
        session,
        actor,
        "adverse_reaction.report",
        reaction,
        organisation=hospital,
    )
    # Supervision raises the alert of a life-threatening reaction in this transaction.
    events.publish(session, events.ADVERSE_REACTION_RECORDED, reaction=reaction, now=now)
    return reaction


# --- reading --------------------------------------------------------------------------------------


def reaction_details(
    session: Session, reactions: Sequence[AdverseReaction]
) -> list[ReactionDetail]:
    """Each reaction with its hospital and linked transfusions (three queries for a list)."""
    if not reactions:
        return []
    links = session.exec(
        select(ReactionTransfusion).where(
            ReactionTransfusion.reaction_id.in_([r.id for r in reactions])
        )
    ).all()
    transfusions = by_id(session, Transfusion, [link.transfusion_id for link in links])
    hospitals = by_id(session, Organisation, [r.hospital_id for r in reactions])
    linked: dict[int, list[Transfusion]] = {}
    for link in links:
        linked.setdefault(link.reaction_id, []).append(transfusions[link.transfusion_id])
    return [
        ReactionDetail(
            r,
            hospitals[r.hospital_id],
            sorted(linked.get(r.id, []), key=lambda t: (t.started_at, t.id)),
        )
        for r in reactions
    ]


def get_reaction(*, session: Session, actor: Actor, reaction_id: int) -> ReactionDetail:
    """One reaction the actor may see (the hospital's own; an authority's jurisdiction)."""
    found = scoped_one(
        session=session,
        actor=actor,
        model=AdverseReaction,
        row_id=reaction_id,
        organisation_column=AdverseReaction.hospital_id,
    )
    return reaction_details(session, [found])[0]


def list_reactions(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    hospital: str | None = None,
) -> CursorPage[ReactionDetail]:
    """Reactions in the order the server recorded them (reconciliation)."""
    statement = scope(
        select(AdverseReaction),
        AdverseReaction.hospital_id,
        session=session,
        actor=actor,
        hospital=hospital,
    )
    return cursor_page(
        session,
        statement,
        kind="reaction",
        at_column=AdverseReaction.recorded_at,
        id_column=AdverseReaction.id,
        since=since,
        cursor=cursor,
        limit=limit,
        load=reaction_details,
    )


def reactions_page(*, session: Session, actor: Actor, page: PageRequest) -> Page[ReactionDetail]:
    """The hospital's reactions, newest onset first, a page at a time (its pages)."""
    hospital = acting_hospital(session=session, actor=actor)
    statement = (
        select(AdverseReaction)
        .where(AdverseReaction.hospital_id == hospital.id)
        .order_by(AdverseReaction.onset_at.desc(), AdverseReaction.id.desc())
    )
    found = fetch_page(session, statement, page)
    return Page(reaction_details(session, found.items), found.page, found.size, found.total)


def reactions_of(session: Session, transfusion_ids: Sequence[int]) -> dict[int, list[int]]:
    """``{transfusion id: [reaction ids]}``."""
    if not transfusion_ids:
        return {}
    rows = session.exec(
        select(ReactionTransfusion).where(ReactionTransfusion.transfusion_id.in_(transfusion_ids))
    ).all()
    found: dict[int, list[int]] = {}
    for row in rows:
        found.setdefault(row.transfusion_id, []).append(row.reaction_id)
    return found
