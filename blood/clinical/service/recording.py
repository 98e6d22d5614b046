"""Writing transfusions, one or a thousand, the same way.

``Facts`` are what the database said about an item before anything was written (read by
``read_one`` for a single record, by ``batch`` for many at once); ``transfusions.plan`` turns
an item and its facts into a ``Plan`` (the record, its approvals, its flags) or refuses it.
Then ``claim`` makes the guarded writes: the units move in one guarded UPDATE (the stock's
``move_units``) and the records go in with one ``INSERT … ON CONFLICT DO NOTHING …
RETURNING``, so a unit or a reference another request took meanwhile fails its item alone,
with the error a single request gets, and nothing is left half-written. ``complete`` writes
the rest in bulk, one multi-row statement each: the units' movements, daily usage and audit
rows (the stock's ``record_moves``), the approvals, the flags and the records' audit rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, make_transient_to_detached
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical import rules
from blood.clinical.messages import ClinicalRefusal, refusal
from blood.clinical.models import Transfusion, TransfusionApproval, TransfusionFlag
from blood.clinical.service.common import TransfusionDetail
from blood.errors import DomainError, ValidationFailed
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import BloodDonation, Unit
from blood.stock.service.units import (
    Move,
    Moves,
    TransitionRefused,
    UnitExpired,
    move_units,
    record_moves,
    unit_ref,
)

if TYPE_CHECKING:
    from blood.clinical.service.transfusions import TransfusionInput


@dataclass(frozen=True)
class Facts:
    """What the database said about one item before anything was written: the unit (None:
    not in this hospital's stock), its donation's volume, the record that transfused it and
    the hospital's record with the item's reference (their ids), or why the DIN is not one."""

    unit: Unit | None = None
    source_ml: int | None = None
    transfused_by: Any = None
    same_reference: Any = None
    din_error: ValidationFailed | None = None


# The patient's red-cell volume in the approval window before `at`, and the tiers signed on
# those transfusions: (patient key, at) → (mL, tiers).
Window = Callable[[str, datetime], tuple[int, set[str]]]


@dataclass
class Plan:
    """One transfusion the rules accept, ready to write."""

    index: int
    unit: Unit
    transfusion: Transfusion  # its id once ``claim`` inserted it
    approvals: list[TransfusionApproval]
    flags: list[rules.Finding]


# --- one record: everything it needs in one statement -------------------------------------------


def read_one(
    *, session: Session, actor: Actor, data: TransfusionInput, key: str, hours: int
) -> tuple[Organisation | None, Facts, tuple[int, set[str]]]:
    """The actor's organisation, the item's facts and the patient's approval window, in ONE
    statement: the organisation joined to its unit (with the unit's donation and any record
    of it), the record with the same reference, and the window's volume and signed tiers as
    aggregates (for red cells; read whatever the unit, it is an index look-up)."""
    try:
        din, product, division = unit_ref(data.din, data.product_code, data.division)
        matches = sa.and_(
            Unit.owner_id == Organisation.id,
            Unit.din == din,
            Unit.product_code == product,
            Unit.division == division,
        )
        din_error = None
    except ValidationFailed as error:
        matches, din_error = sa.false(), error
    window = (
        Transfusion.hospital_id == actor.organisation_id,
        Transfusion.patient_key == key,
        Transfusion.component == "red_cells",
        Transfusion.started_at > data.started_at - timedelta(hours=hours),
        Transfusion.started_at <= data.started_at,
    )
    earlier = select(sa.func.coalesce(sa.func.sum(Transfusion.counted_ml), 0)).where(*window)
    signed = (
        select(sa.func.aggregate_strings(TransfusionApproval.tier, ","))
        .join(Transfusion, Transfusion.id == TransfusionApproval.transfusion_id)
        .where(*window)
    )
    same = (
        select(Transfusion.id)
        .where(
            Transfusion.hospital_id == actor.organisation_id,
            Transfusion.reference == data.reference,
        )
        .limit(1)
        .scalar_subquery()
        if data.reference
        else sa.null()
    )
    transfused = aliased(Transfusion)
    row = session.execute(
        select(
            Organisation,
            Unit,
            BloodDonation.volume_ml,
            transfused.id,
            same,
            earlier.scalar_subquery(),
            signed.scalar_subquery(),
        )
        .select_from(Organisation)
        .outerjoin(Unit, matches)
        .outerjoin(BloodDonation, BloodDonation.id == Unit.donation_id)
        .outerjoin(transfused, transfused.unit_id == Unit.id)
        .where(Organisation.id == actor.organisation_id)
    ).first()
    if row is None:
        return None, Facts(), (0, set())
    hospital, unit, source_ml, transfused_by, same_reference, earlier_ml, tiers = row
    facts = Facts(unit, source_ml, transfused_by, same_reference, din_error)
    return hospital, facts, (int(earlier_ml or 0), set(tiers.split(",")) if tiers else set())


def already_transfused(session: Session, unit: Unit) -> ClinicalRefusal:
    existing = session.exec(select(Transfusion.id).where(Transfusion.unit_id == unit.id)).first()
    return refusal("unit_already_transfused", unit=unit.label, transfusion=existing)


# --- the guarded writes ---------------------------------------------------------------------------


def claim(
    *, session: Session, hospital: Organisation, plans: Sequence[Plan]
) -> tuple[Moves, dict[int, DomainError]]:
    """Move the plans' units (one guarded UPDATE) and insert their records (one INSERT … ON
    CONFLICT DO NOTHING … RETURNING). Returns the moves for ``complete`` and, by item index,
    the plans that could not be written with the error a single request gets: then the caller
    must not complete (a single request is refused; a batch rolls back to its savepoint and
    plans again without them)."""
    moves = move_units(
        session=session,
        moves=[Move(plan.unit, plan.transfusion.started_at) for plan in plans],
        action=Action.TRANSFUSE,
        holder=hospital,
    )
    failed = {
        plan.index: _in_clinical_words(session, plan.unit, moves.refused[plan.unit.id])
        for plan in plans
        if plan.unit.id in moves.refused
    }
    moved = [plan for plan in plans if plan.index not in failed]
    made = _insert(session, [plan.transfusion for plan in moved])
    for plan in moved:
        transfusion = plan.transfusion
        transfusion.id = made.get(transfusion.unit_id)
        if transfusion.id is None:
            # A copy that raced past the checks (the same reference, or the unit): refused
            # as a duplicate, as the unique constraints say.
            failed[plan.index] = (
                refusal("duplicate_reference", reference=transfusion.reference, existing=None)
                if transfusion.reference
                else refusal("unit_already_transfused", unit=plan.unit.label, transfusion=None)
            )
    return moves, failed


def _in_clinical_words(session: Session, unit: Unit, error: DomainError) -> DomainError:
    if isinstance(error, UnitExpired):
        return refusal("unit_expired", unit=unit.label, expired=unit.expires_at.date().isoformat())
    if isinstance(error, TransitionRefused) and unit.state == UnitState.TRANSFUSED:
        # A racing request transfused the unit between our look and our update.
        return already_transfused(session, unit)
    return error


_COLUMNS = [c for c in Transfusion.__table__.columns if c.key != "id"]


def _insert(session: Session, transfusions: Sequence[Transfusion]) -> dict[int, int]:
    """``{unit id: record id}`` of the records inserted; one that meets a unique constraint
    (unit, or the hospital's reference) is left out, and the transaction goes on."""
    if not transfusions:
        return {}
    table = Transfusion.__table__
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing().returning(table.c.unit_id, table.c.id)
    rows = [{c.key: getattr(t, c.key) for c in _COLUMNS} for t in transfusions]
    # Many parameter sets: SQLAlchemy's insertmanyvalues sends them as multi-row INSERTs.
    return {unit_id: made for unit_id, made in session.execute(statement, rows)}


# --- the rest, in bulk -------------------------------------------------------------------------


def complete(
    *,
    session: Session,
    actor: Actor,
    hospital: Organisation,
    moves: Moves,
    plans: Sequence[Plan],
    now: datetime,
) -> list[TransfusionDetail]:
    """After a ``claim`` that failed nothing: the units' movements, usage and audit rows, the
    records in the session, their approvals, flags and audit rows (one statement each), and
    each record as the API shows it (nothing read back: it is all here)."""
    record_moves(session=session, actor=actor, moves=moves)
    approvals, flags, entries, made = [], [], [], []
    for plan in plans:
        transfusion = plan.transfusion
        # Inserted by ``claim``: the session takes it as the row it is, with nothing to flush.
        make_transient_to_detached(transfusion)
        session.add(transfusion)
        for approval in plan.approvals:
            approval.transfusion_id = transfusion.id
        raised = flag_rows(transfusion, plan.flags, now=now)
        approvals += plan.approvals
        flags += raised
        entries.append(
            audit.Entry(
                "transfusion.record",
                Transfusion.__tablename__,
                transfusion.id,
                audit.diff({}, audit.snapshot(transfusion)),
            )
        )
        made.append(TransfusionDetail(transfusion, plan.unit, hospital, plan.approvals, raised))
    session.add_all(approvals)
    session.add_all(flags)
    audit.record_many(session, actor, entries, organisation=hospital)
    return made


def flag_rows(
    transfusion: Transfusion, findings: Iterable[rules.Finding], *, now: datetime
) -> list[TransfusionFlag]:
    """The flags of a transfusion (the findings that do not refuse)."""
    return [
        TransfusionFlag(
            transfusion_id=transfusion.id,
            hospital_id=transfusion.hospital_id,
            code=finding.code,
            facts=_storable(finding.facts),
            report=finding.report,
            raised_at=now,
        )
        for finding in findings
        if not finding.refuses
    ]


def _storable(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in facts.items()
    }
