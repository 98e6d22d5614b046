"""Reading transfusions: one record, the reconciliation list in the server's record order, a
patient's history (only the hospital that recorded them finds them, by the number again), and
the hospital's register with its filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.clinical.messages import refusal
from blood.clinical.models import (
    Transfusion,
    TransfusionApproval,
    TransfusionFlag,
    TransfusionOutcome,
)
from blood.clinical.service.common import (
    MAX_LIMIT,
    CursorPage,
    TransfusionDetail,
    acting_hospital,
    acting_reader,
    by_id,
    cursor_page,
    patient_key,
    scope,
    scoped_one,
)
from blood.clinical.service.outcomes import covering_outcome, missing_clause
from blood.clinical.service.reactions import reactions_of
from blood.db import utcnow
from blood.errors import NotFound
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock.models import Unit


def details(session: Session, rows: Sequence[Transfusion]) -> list[TransfusionDetail]:
    """Each transfusion with its unit, hospital, approvals, flags, outcomes and reactions
    (six queries for a list, whatever its length)."""
    if not rows:
        return []
    ids = [t.id for t in rows]
    units = by_id(session, Unit, [t.unit_id for t in rows])
    hospitals = by_id(session, Organisation, [t.hospital_id for t in rows])
    made = {t.id: TransfusionDetail(t, units[t.unit_id], hospitals[t.hospital_id]) for t in rows}
    for approval in session.exec(
        select(TransfusionApproval)
        .where(TransfusionApproval.transfusion_id.in_(ids))
        .order_by(TransfusionApproval.id)
    ).all():
        made[approval.transfusion_id].approvals.append(approval)
    for flag in session.exec(
        select(TransfusionFlag)
        .where(TransfusionFlag.transfusion_id.in_(ids))
        .order_by(TransfusionFlag.id)
    ).all():
        made[flag.transfusion_id].flags.append(flag)
    for outcome in session.exec(
        select(TransfusionOutcome)
        .where(TransfusionOutcome.transfusion_id.in_(ids))
        .order_by(TransfusionOutcome.measured_at, TransfusionOutcome.id)
    ).all():
        made[outcome.transfusion_id].outcomes.append(outcome)
    for transfusion_id, reaction_ids in reactions_of(session, ids).items():
        made[transfusion_id].reactions = sorted(reaction_ids)
    return [made[t.id] for t in rows]


def get_transfusion(*, session: Session, actor: Actor, transfusion_id: int) -> TransfusionDetail:
    """One transfusion the actor may see (the hospital's own; an authority's jurisdiction);
    any other answers "not found"."""
    found = scoped_one(
        session=session,
        actor=actor,
        model=Transfusion,
        row_id=transfusion_id,
        organisation_column=Transfusion.hospital_id,
    )
    return details(session, [found])[0]


def list_transfusions(
    *,
    session: Session,
    actor: Actor,
    since: datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    hospital: str | None = None,
) -> CursorPage[TransfusionDetail]:
    """Transfusions in the order the server recorded them, from `since`, after `cursor`:
    what a hospital checks its own sending against (an authority: its jurisdiction)."""
    statement = scope(
        select(Transfusion),
        Transfusion.hospital_id,
        session=session,
        actor=actor,
        hospital=hospital,
    )
    return cursor_page(
        session,
        statement,
        kind="transfusion",
        at_column=Transfusion.recorded_at,
        id_column=Transfusion.id,
        since=since,
        cursor=cursor,
        limit=limit,
        load=details,
    )


def patient_history(
    *,
    session: Session,
    actor: Actor,
    patient_record_number: str,
    cursor: str | None = None,
    limit: int | None = None,
) -> CursorPage[TransfusionDetail]:
    """The transfusions of the hospital's patient with this record number. The number is
    hashed with the hospital's own key: another organisation cannot find the patient."""
    reader = acting_reader(session=session, actor=actor)
    if reader.kind != OrgKind.HOSPITAL:
        raise refusal("patient_lookup_own_hospital")
    key = patient_key(session=session, hospital=reader, number=patient_record_number)
    statement = select(Transfusion).where(
        Transfusion.hospital_id == reader.id, Transfusion.patient_key == key
    )
    return cursor_page(
        session,
        statement,
        kind="patient",
        at_column=Transfusion.recorded_at,
        id_column=Transfusion.id,
        since=None,
        cursor=cursor,
        limit=limit,
        load=details,
    )


# --- the hospital's pages ----------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilter:
    department: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    component: str | None = None
    flag: str | None = None


def _local_bounds(hospital: Organisation, first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(hospital.timezone)
    return (
        datetime.combine(first, time(0), zone),
        datetime.combine(last + timedelta(days=1), time(0), zone),
    )


def register(
    *, session: Session, actor: Actor, filters: RegisterFilter, page: PageRequest
) -> Page[TransfusionDetail]:
    """The hospital's transfusions, newest first, filtered by department, dates (the
    hospital's days), component and flag, a page at a time."""
    hospital = acting_hospital(session=session, actor=actor)
    statement = select(Transfusion).where(Transfusion.hospital_id == hospital.id)
    if filters.department:
        statement = statement.where(Transfusion.department == filters.department)
    if filters.component:
        statement = statement.where(Transfusion.component == filters.component)
    if filters.date_from or filters.date_to:
        start, end = _local_bounds(
            hospital, filters.date_from or date(1900, 1, 1), filters.date_to or date(9998, 12, 30)
        )
        statement = statement.where(Transfusion.started_at >= start, Transfusion.started_at < end)
    if filters.flag:
        statement = statement.where(
            Transfusion.id.in_(
                select(TransfusionFlag.transfusion_id).where(
                    TransfusionFlag.hospital_id == hospital.id,
                    TransfusionFlag.code == filters.flag,
                )
            )
        )
    statement = statement.order_by(Transfusion.started_at.desc(), Transfusion.id.desc())
    found = fetch_page(session, statement, page)
    return Page(details(session, found.items), found.page, found.size, found.total)


def departments(*, session: Session, actor: Actor) -> list[str]:
    """The departments the hospital has recorded transfusions for (the register's filter)."""
    hospital = acting_hospital(session=session, actor=actor)
    return list(
        session.exec(
            select(Transfusion.department)
            .where(Transfusion.hospital_id == hospital.id)
            .distinct()
            .order_by(Transfusion.department)
        ).all()
    )


def find_patient(
    *, session: Session, actor: Actor, patient_record_number: str
) -> list[TransfusionDetail]:
    """The register's patient look-up: every transfusion of the hospital's patient (at most
    the API's largest page), newest first."""
    found = patient_history(
        session=session,
        actor=actor,
        patient_record_number=patient_record_number,
        limit=MAX_LIMIT,
    )
    return sorted(found.items, key=lambda d: d.transfusion.started_at, reverse=True)


@dataclass(frozen=True)
class RecordPage:
    """A transfusion's page: the record, the outcome that covers it, whether it is missing,
    and the patient's other transfusions near it (for a reaction report)."""

    detail: TransfusionDetail
    covered_by: TransfusionOutcome | None
    outcome_missing: bool
    neighbours: list[Transfusion]


def record_page(*, session: Session, actor: Actor, transfusion_id: int) -> RecordPage:
    hospital = acting_hospital(session=session, actor=actor)
    found = session.get(Transfusion, transfusion_id)
    if found is None or found.hospital_id != hospital.id:
        raise NotFound()
    covered = covering_outcome(session, found)
    missing = (
        session.exec(
            select(Transfusion.id).where(Transfusion.id == found.id, missing_clause(utcnow()))
        ).first()
        is not None
    )
    neighbours = list(
        session.exec(
            select(Transfusion)
            .where(
                Transfusion.hospital_id == hospital.id,
                Transfusion.patient_key == found.patient_key,
                Transfusion.id != found.id,
                Transfusion.started_at > found.started_at - timedelta(days=3),
                Transfusion.started_at < found.started_at + timedelta(days=3),
            )
            .order_by(Transfusion.started_at)
        ).all()
    )
    return RecordPage(details(session, [found])[0], covered, missing, neighbours)
