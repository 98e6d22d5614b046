"""A hospital's clinical day in facts: transfusions by component and department, red-cell
units, adverse reactions per 1,000 transfusions by category and severity, appropriateness
flags, missing approvals and emergency transfusions.

Transfusions count on the day they started; reactions on the day they were reported (a day's
facts are final once the day is over, whatever the onset the clinician gives later). Both
are read through the hospitals' (hospital, time) indexes.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import settings
from blood.clinical.models import (
    AdverseReaction,
    RefusedTransfusion,
    Transfusion,
    TransfusionFlag,
)
from blood.supervision.indicators import APPROPRIATENESS_FLAGS, HOSPITAL
from blood.supervision.service.common import DayWindow, Facts

RATES = ("adverse_reaction_rate", "appropriateness_flag_rate")


def clinical_facts(session: Session, w: DayWindow, facts: Facts) -> None:
    ids = w.ids(HOSPITAL)
    if not ids:
        return
    started = sa.and_(
        Transfusion.hospital_id.in_(ids),
        Transfusion.started_at >= w.start,
        Transfusion.started_at < w.end,
    )
    ml_per_unit = settings.of(session).clinical_ml_per_unit
    rows = session.exec(
        select(
            Transfusion.hospital_id,
            Transfusion.component,
            Transfusion.department,
            sa.func.count(),
            sa.func.sum(Transfusion.counted_ml),
            sa.func.sum(sa.case((Transfusion.emergency, 1), else_=0)),
        )
        .where(started)
        .group_by(Transfusion.hospital_id, Transfusion.component, Transfusion.department)
    ).all()
    for hospital, component, department, count, counted_ml, emergencies in rows:
        facts.add(hospital, "transfusions", (component, department), count)
        if component == "red_cells":
            facts.add(
                hospital,
                "red_cells_transfused_u",
                (department,),
                (counted_ml or 0) / ml_per_unit,
            )
        if emergencies:
            facts.add(hospital, "emergency_transfusions", (), emergencies)
        for code in RATES:
            facts.add(hospital, code, (), 0, count)
    _flags(session, started, facts)
    _reactions(session, w, ids, facts)
    _refused(session, w, ids, facts)


FLAG_CHUNK = 5000  # transfusion ids per statement (well under SQLite's bound parameters)


def _flags(session: Session, started, facts: Facts) -> None:
    """The day's transfusions first (through the hospitals' (hospital, started) index), then
    their flags by transfusion id: joined in one statement, PostgreSQL hash-joined the day's
    few hundred transfusions with every flag of the history (a scan that grows with it)."""
    hospitals = dict(
        session.exec(select(Transfusion.id, Transfusion.hospital_id).where(started)).all()
    )
    ids = sorted(hospitals)
    rows = []
    for first in range(0, max(len(ids), 1), FLAG_CHUNK):  # one statement at least
        rows += session.exec(
            select(TransfusionFlag.transfusion_id, TransfusionFlag.code).where(
                TransfusionFlag.transfusion_id.in_(ids[first : first + FLAG_CHUNK])
            )
        ).all()
    flagged: dict[int, tuple[int, set[str]]] = {}
    for transfusion, code in rows:
        hospital = hospitals[transfusion]
        flagged.setdefault(transfusion, (hospital, set()))[1].add(code)
    for hospital, codes in flagged.values():
        if "approval_missing" in codes:
            facts.add(hospital, "missing_approvals", (), 1)
        appropriateness = sorted(codes & set(APPROPRIATENESS_FLAGS))
        for code in appropriateness:
            facts.add(hospital, "appropriateness_flag_rate", (code,), 1, total=False)
        if appropriateness:
            facts.add(hospital, "appropriateness_flag_rate", (), 1)


def _reactions(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    rows = session.exec(
        select(
            AdverseReaction.hospital_id,
            AdverseReaction.category,
            AdverseReaction.severity,
            sa.func.count(),
        )
        .where(
            AdverseReaction.hospital_id.in_(ids),
            AdverseReaction.recorded_at >= w.start,
            AdverseReaction.recorded_at < w.end,
        )
        .group_by(AdverseReaction.hospital_id, AdverseReaction.category, AdverseReaction.severity)
    ).all()
    for hospital, category, severity, count in rows:
        facts.add(hospital, "adverse_reaction_rate", (category, severity), count)


def _refused(session: Session, w: DayWindow, ids: list[int], facts: Facts) -> None:
    """Transfusions refused as ABO/RhD-incompatible, by the reason of the refusal."""
    rows = session.exec(
        select(RefusedTransfusion.hospital_id, RefusedTransfusion.code, sa.func.count())
        .where(
            RefusedTransfusion.hospital_id.in_(ids),
            RefusedTransfusion.at >= w.start,
            RefusedTransfusion.at < w.end,
        )
        .group_by(RefusedTransfusion.hospital_id, RefusedTransfusion.code)
    ).all()
    for hospital, code, count in rows:
        facts.add(hospital, "incompatible_refused", (code,), count)
