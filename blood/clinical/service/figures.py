"""The hospital's own monthly figures: transfusions by component and department (units and
volume), wastage and its reasons, reactions per 1,000 transfusions, flag rates and missing
approvals. Months are the hospital's (its time zone)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical.models import AdverseReaction, Transfusion, TransfusionFlag
from blood.clinical.service.common import acting_hospital, profile_of
from blood.clinical.service.outcomes import covered_clause
from blood.db import utcnow
from blood.stock.lifecycle import Action
from blood.stock.models import UnitMovement


@dataclass(frozen=True)
class UseRow:
    component: str
    department: str | None  # None: every department (the component's total)
    transfusions: int
    units: float  # red cells: units of 200 mL whole blood; others: bags
    volume_ml: int  # volume given


@dataclass(frozen=True)
class MonthlyFigures:
    hospital: Organisation
    month: date  # its first day
    previous: date
    following: date | None  # None: the month after has not begun
    transfusions: int
    use: list[UseRow]  # by component and department
    totals: list[UseRow]  # by component
    received: int
    wastage: list[tuple[str, int]]  # (discard reason or "expired", units)
    wasted: int
    reactions: int
    severe_reactions: int  # severity 3–4
    flags: list[tuple[str, int]]  # (flag code, transfusions flagged)
    flagged: int  # transfusions with any flag
    missing_approvals: int
    emergencies: int
    with_outcome: int

    def rate(self, count: int, per: int = 100) -> float | None:
        """`count` per 100 (or per `per`) transfusions; None without transfusions."""
        return round(count * per / self.transfusions, 1) if self.transfusions else None

    @property
    def wastage_percent(self) -> float | None:
        """Units wasted as a share of units received in the month."""
        return round(self.wasted * 100 / self.received, 1) if self.received else None

    @property
    def reactions_per_1000(self) -> float | None:
        return self.rate(self.reactions, 1000)


def month_of(day: date) -> date:
    return day.replace(day=1)


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def monthly_figures(*, session: Session, actor: Actor, month: date | None = None) -> MonthlyFigures:
    hospital = acting_hospital(session=session, actor=actor)
    zone = ZoneInfo(hospital.timezone)
    this_month = month_of(utcnow().astimezone(zone).date())
    first = month_of(month) if month else this_month
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(_shift(first, 1), time(0), zone)
    in_month = sa.and_(
        Transfusion.hospital_id == hospital.id,
        Transfusion.started_at >= start,
        Transfusion.started_at < end,
    )
    ml_per_unit = profile_of(session).ml_per_unit
    rows = session.exec(
        select(
            Transfusion.component,
            Transfusion.department,
            sa.func.count(Transfusion.id),
            sa.func.sum(Transfusion.counted_ml),
            sa.func.sum(Transfusion.volume_given_ml),
        )
        .where(in_month)
        .group_by(Transfusion.component, Transfusion.department)
        .order_by(Transfusion.component, Transfusion.department)
    ).all()
    use = [
        UseRow(
            component,
            department,
            count,
            round((counted or 0) / ml_per_unit, 1) if component == "red_cells" else float(count),
            int(volume or 0),
        )
        for component, department, count, counted, volume in rows
    ]
    totals: dict[str, list] = {}
    for row in use:
        total = totals.setdefault(row.component, [0, 0.0, 0])
        total[0] += row.transfusions
        total[1] += row.units
        total[2] += row.volume_ml
    moved = sa.and_(
        UnitMovement.organisation_id == hospital.id, UnitMovement.at >= start, UnitMovement.at < end
    )
    received = session.exec(
        select(sa.func.count(UnitMovement.id)).where(moved, UnitMovement.action == Action.RECEIVE)
    ).one()
    wastage = [
        (reason or "other", count)
        for reason, count in session.exec(
            select(UnitMovement.reason, sa.func.count(UnitMovement.id))
            .where(moved, UnitMovement.action == Action.DISCARD)
            .group_by(UnitMovement.reason)
        ).all()
    ]
    expired = session.exec(
        select(sa.func.count(UnitMovement.id)).where(moved, UnitMovement.action == Action.EXPIRE)
    ).one()
    if expired:
        wastage.append(("expired", expired))
    wastage.sort(key=lambda item: -item[1])
    reactions = session.exec(
        select(AdverseReaction.severity, sa.func.count(AdverseReaction.id))
        .where(
            AdverseReaction.hospital_id == hospital.id,
            AdverseReaction.onset_at >= start,
            AdverseReaction.onset_at < end,
        )
        .group_by(AdverseReaction.severity)
    ).all()
    flag_counts = session.exec(
        select(TransfusionFlag.code, sa.func.count(sa.distinct(TransfusionFlag.transfusion_id)))
        .join(Transfusion, Transfusion.id == TransfusionFlag.transfusion_id)
        .where(in_month)
        .group_by(TransfusionFlag.code)
    ).all()
    flagged = session.exec(
        select(sa.func.count(sa.distinct(TransfusionFlag.transfusion_id)))
        .join(Transfusion, Transfusion.id == TransfusionFlag.transfusion_id)
        .where(in_month)
    ).one()
    counts = dict(flag_counts)
    transfusions = sum(row.transfusions for row in use)
    return MonthlyFigures(
        hospital=hospital,
        month=first,
        previous=_shift(first, -1),
        following=_shift(first, 1) if first < this_month else None,
        transfusions=transfusions,
        use=use,
        totals=[UseRow(c, None, t[0], round(t[1], 1), t[2]) for c, t in totals.items()],
        received=received,
        wastage=wastage,
        wasted=sum(count for _reason, count in wastage),
        reactions=sum(count for _severity, count in reactions),
        severe_reactions=sum(count for severity, count in reactions if severity >= 3),
        flags=sorted(counts.items(), key=lambda item: -item[1]),
        flagged=flagged,
        missing_approvals=counts.get("approval_missing", 0),
        emergencies=counts.get("emergency", 0),
        with_outcome=session.exec(
            select(sa.func.count(Transfusion.id)).where(in_month, covered_clause())
        ).one(),
    )
