"""A batch of transfusions from a hospital's system: up to 1,000 records, set-based.

Each item stands or falls alone, with the error a single request would get, and the batch
records exactly what the same items sent one by one, in order, would record. It reads what it
needs for all items at once (their units by DIN, product and division, locked in one order;
the records with their references; the patients' red cells in the approval window, with the
tiers signed), applies every rule item by item in Python (``transfusions.plan``), each item
seeing the ones before it as a single request would (a unit or a reference an earlier item
took, the patient's volume it added), then writes in bulk through ``service.recording``: one
guarded UPDATE of the units and one INSERT of the records inside one savepoint, then the
movements, daily usage, approvals, flags and audit rows, one multi-row statement each. When
the guarded writes find a unit or a reference another request took meanwhile, the savepoint
is rolled back, those items fail alone and the others are planned and written again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical import rules
from blood.clinical.models import Transfusion, TransfusionApproval
from blood.clinical.service.common import (
    TransfusionDetail,
    patient_key,
    profile_of,
    recording_hospital,
)
from blood.clinical.service.recording import Facts, Plan, claim, complete
from blood.clinical.service.transfusions import TransfusionInput, plan
from blood.db import utcnow
from blood.errors import DomainError, ValidationFailed
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, Unit
from blood.stock.service.units import unit_ref

MAX_BATCH = 1000


@dataclass(frozen=True)
class BatchResult:
    """One item of a batch: the record made (as the API shows it), or why not."""

    index: int
    transfusion: Transfusion | None = None
    error: DomainError | None = None
    detail: TransfusionDetail | None = None


def record_batch(
    *,
    session: Session,
    actor: Actor,
    items: list[TransfusionInput | ValidationFailed],
) -> list[BatchResult]:
    """Record each item that the rules accept (see the module); an item that did not even
    parse comes as its ``ValidationFailed``."""
    hospital = recording_hospital(session=session, actor=actor)
    if len(items) > MAX_BATCH:
        raise ValidationFailed({"items": [f"≤ {MAX_BATCH}"]})
    now, profile = utcnow(), profile_of(session)
    loaded = [(i, item) for i, item in enumerate(items) if not isinstance(item, DomainError)]
    keys = {
        i: patient_key(session=session, hospital=hospital, number=item.patient_record_number)
        for i, item in loaded
    }
    facts = _read_facts(session, hospital, loaded)
    history = _history(session, hospital, loaded, keys, facts, profile.approval_window_hours)
    failed: dict[int, DomainError] = {}  # items a guarded write found taken meanwhile
    while True:
        plans, refused = _plan(
            session, actor, hospital, loaded, keys, facts, history, failed, now, profile
        )
        if not plans:
            break
        savepoint = session.begin_nested()
        try:
            moves, lost = claim(session=session, hospital=hospital, plans=plans)
        except BaseException:
            savepoint.rollback()
            raise
        if not lost:
            savepoint.commit()
            break
        savepoint.rollback()
        failed.update(lost)
    made = (
        complete(session=session, actor=actor, hospital=hospital, moves=moves, plans=plans, now=now)
        if plans
        else []
    )
    _name_earlier_records(refused.values())
    recorded = {plan.index: detail for plan, detail in zip(plans, made, strict=True)}
    results = []
    for index, item in enumerate(items):
        detail = recorded.get(index)
        if detail is not None:
            results.append(BatchResult(index, transfusion=detail.transfusion, detail=detail))
        else:
            error = item if isinstance(item, DomainError) else failed.get(index, refused.get(index))
            results.append(BatchResult(index, error=error))
    return results


# --- what the batch reads, for all items at once ------------------------------------------------


def _read_facts(
    session: Session, hospital: Organisation, loaded: list[tuple[int, TransfusionInput]]
) -> dict[int, Facts]:
    """Each item's facts: its unit (with its donation's volume and any record of it) from one
    query, locked (FOR UPDATE, in id order: two batches never wait for each other in a
    cycle) until the batch commits; the hospital's records with the items' references from
    another."""
    refs, din_errors = {}, {}
    for index, item in loaded:
        try:
            refs[index] = unit_ref(item.din, item.product_code, item.division)
        except ValidationFailed as error:
            din_errors[index] = error
    units: dict[tuple[str, str, str], tuple[Unit, int | None, int | None]] = {}
    if refs:
        transfused = aliased(Transfusion)
        rows = session.execute(
            select(Unit, BloodDonation.volume_ml, transfused.id)
            .outerjoin(BloodDonation, BloodDonation.id == Unit.donation_id)
            .outerjoin(transfused, transfused.unit_id == Unit.id)
            .where(
                Unit.owner_id == hospital.id,
                sa.tuple_(Unit.din, Unit.product_code, Unit.division).in_(
                    sorted(set(refs.values()))
                ),
            )
            .order_by(Unit.id)
            .with_for_update(of=Unit)
        ).all()
        units = {(u.din, u.product_code, u.division): (u, ml, t) for u, ml, t in rows}
    references = {item.reference for _i, item in loaded if item.reference}
    existing = (
        dict(
            session.execute(
                select(Transfusion.reference, Transfusion.id).where(
                    Transfusion.hospital_id == hospital.id,
                    Transfusion.reference.in_(sorted(references)),
                )
            ).all()
        )
        if references
        else {}
    )
    facts = {}
    for index, item in loaded:
        unit, source_ml, transfused_by = units.get(refs.get(index), (None, None, None))
        same = existing.get(item.reference) if item.reference else None
        facts[index] = Facts(unit, source_ml, transfused_by, same, din_errors.get(index))
    return facts


class History:
    """The patients' red-cell transfusions in the approval window: those the database held
    when the batch began, and those the batch records before each item (what a single request
    sent after them would find)."""

    def __init__(self, hours: int, held: dict[str, list[tuple[datetime, int, set[str]]]]):
        self.hours = hours
        self.held = held
        self.added: dict[str, list[tuple[datetime, int, set[str]]]] = defaultdict(list)

    def window(self, key: str, at: datetime) -> tuple[int, set[str]]:
        start, total, signed = at - timedelta(hours=self.hours), 0, set()
        for entries in (self.held.get(key, ()), self.added.get(key, ())):
            for started_at, counted, tiers in entries:
                if start < started_at <= at:
                    total += counted
                    signed |= tiers
        return total, signed


def _history(
    session: Session,
    hospital: Organisation,
    loaded: list[tuple[int, TransfusionInput]],
    keys: dict[int, str],
    facts: dict[int, Facts],
    hours: int,
) -> History:
    """One query: the red-cell transfusions of the items' red-cell patients from the earliest
    window's start to the latest item, each with the tiers signed on it."""
    red = [
        (keys[i], item.started_at)
        for i, item in loaded
        if facts[i].unit is not None and facts[i].unit.component == "red_cells"
    ]
    held: dict[str, list[tuple[datetime, int, set[str]]]] = defaultdict(list)
    if not red:
        return History(hours, held)
    rows = session.execute(
        select(
            Transfusion.id,
            Transfusion.patient_key,
            Transfusion.started_at,
            Transfusion.counted_ml,
            TransfusionApproval.tier,
        )
        .outerjoin(TransfusionApproval, TransfusionApproval.transfusion_id == Transfusion.id)
        .where(
            Transfusion.hospital_id == hospital.id,
            Transfusion.patient_key.in_(sorted({key for key, _at in red})),
            Transfusion.component == "red_cells",
            Transfusion.started_at > min(at for _key, at in red) - timedelta(hours=hours),
            Transfusion.started_at <= max(at for _key, at in red),
        )
    ).all()
    found: dict[int, tuple[str, datetime, int, set[str]]] = {}
    for row_id, key, started_at, counted, tier in rows:
        entry = found.setdefault(row_id, (key, started_at, counted or 0, set()))
        if tier:
            entry[3].add(tier)
    for key, started_at, counted, tiers in found.values():
        held[key].append((started_at, counted, tiers))
    return History(hours, held)


# --- every rule, item by item, in order -----------------------------------------------------------


@dataclass(frozen=True)
class _Earlier:
    """A record an earlier item of the batch makes: its id once written."""

    plan: Plan


def _plan(
    session: Session,
    actor: Actor,
    hospital: Organisation,
    loaded: list[tuple[int, TransfusionInput]],
    keys: dict[int, str],
    facts: dict[int, Facts],
    history: History,
    failed: dict[int, DomainError],
    now: datetime,
    profile: rules.Profile,
) -> tuple[list[Plan], dict[int, DomainError]]:
    """The items as single requests in order would find them: an earlier item's unit is
    transfused, its reference taken, its red cells in its patient's window."""
    history.added.clear()
    plans, refused = [], {}
    units_taken: dict[int, Plan] = {}
    references_taken: dict[str, Plan] = {}
    for index, item in loaded:
        if index in failed:
            continue
        found, state = facts[index], None
        earlier = units_taken.get(found.unit.id) if found.unit is not None else None
        if earlier is not None:
            found, state = replace(found, transfused_by=_Earlier(earlier)), UnitState.TRANSFUSED
        earlier = references_taken.get(item.reference) if item.reference else None
        if earlier is not None and found.same_reference is None:
            found = replace(found, same_reference=_Earlier(earlier))
        try:
            made = plan(
                session=session,
                actor=actor,
                hospital=hospital,
                data=item,
                facts=found,
                key=keys[index],
                window=history.window,
                now=now,
                profile=profile,
                index=index,
                state=state,
            )
        except DomainError as error:
            refused[index] = error
            continue
        plans.append(made)
        units_taken[made.unit.id] = made
        if item.reference:
            references_taken[item.reference] = made
        if made.unit.component == "red_cells":
            history.added[keys[index]].append(
                (
                    item.started_at,
                    made.transfusion.counted_ml or 0,
                    {approval.tier for approval in made.approvals},
                )
            )
    return plans, refused


def _name_earlier_records(errors: Iterable[DomainError]) -> None:
    """An item refused because of an earlier one names that one's record, now it has an id."""
    for error in errors:
        for name, value in error.facts.items():
            if isinstance(value, _Earlier):
                error.facts[name] = value.plan.transfusion.id
