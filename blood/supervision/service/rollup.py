"""Reading the facts back: an organisation's figures for a period, rolled up over its
jurisdiction, with breakdowns; and series by grain.

An authority's figure is the sum of the facts of every organisation in its subtree (one
indexed prefix query for the organisations, then grouped sums over the fact table); a rate is
recomputed from the summed numerators and denominators, never averaged. A snapshot shows its
last day with data in the period and the average of its days. The period is read in the
authority's time zone ("today" is its today); each organisation's facts are its own local
days, counted in the period when their date falls in it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.supervision import periods as P
from blood.supervision.indicators import (
    INDICATORS,
    Indicator,
    for_kinds,
    project,
    projection,
    split_key,
)
from blood.supervision.models import IndicatorFact


@dataclass(frozen=True)
class Part:
    """One breakdown value (``{"component": "red_cells", "group": "O-"}``) and its figure."""

    values: dict[str, str]
    numerator: float
    denominator: float | None
    value: float | None


@dataclass(frozen=True)
class Figure:
    indicator: Indicator
    numerator: float
    denominator: float | None
    value: float | None
    days: int  # days with data in the period
    # Snapshots: the last day with data, its figure, and the average of the period's days.
    last_day: date | None = None
    average: float | None = None
    breakdown: list[Part] = field(default_factory=list)


def _sums(statement: sa.Select) -> sa.Select:
    return statement.add_columns(
        sa.func.sum(IndicatorFact.numerator),
        sa.func.sum(IndicatorFact.denominator),
        sa.func.count(sa.distinct(IndicatorFact.day)),
    )


def _scope(ids: Sequence[int] | sa.Select, period: P.Period, codes: Iterable[str]):
    return sa.and_(
        IndicatorFact.organisation_id.in_(ids),
        IndicatorFact.day >= period.start,
        IndicatorFact.day <= period.end,
        IndicatorFact.indicator.in_(list(codes)),
    )


def figures(
    session: Session,
    ids: Sequence[int] | sa.Select,
    period: P.Period,
    indicators: Sequence[Indicator],
    breakdown: Sequence[str] = (),
) -> list[Figure]:
    """The figures of `indicators` over the organisations `ids` (a list or a sub-select) for
    `period`; each broken down by the `breakdown` dimensions it has. Three statements."""
    codes = [i.code for i in indicators]
    if not codes:
        return []
    split = {i.code: _positions(i, breakdown) for i in indicators}
    wanted_keys = [c for c, p in split.items() if p]
    rows = session.execute(
        _sums(select(IndicatorFact.indicator, IndicatorFact.breakdown))
        .where(
            _scope(ids, period, codes),
            sa.or_(IndicatorFact.breakdown == "", IndicatorFact.indicator.in_(wanted_keys)),
        )
        .group_by(IndicatorFact.indicator, IndicatorFact.breakdown)
    ).all()
    totals = {code: (n, d, days) for code, key, n, d, days in rows if key == ""}
    parts: dict[str, list[tuple[str, float, float | None]]] = defaultdict(list)
    for code, key, n, d, _days in rows:
        if key:
            parts[code].append((key, n, d))
    snapshots = [i.code for i in indicators if i.is_snapshot]
    lasts = last_days(session, ids, period, snapshots)
    last_rows = _last_rows(session, ids, lasts, wanted_keys)
    found = []
    for indicator in indicators:
        n, d, days = totals.get(indicator.code, (0.0, None, 0))
        if indicator.is_snapshot:
            found.append(
                _snapshot(indicator, lasts.get(indicator.code), last_rows, (n, d, days), split)
            )
            continue
        found.append(
            Figure(
                indicator,
                n or 0.0,
                d,
                indicator.value(n or 0.0, d),
                days,
                breakdown=_parts(indicator, parts[indicator.code], split[indicator.code], d),
            )
        )
    return found


def _positions(indicator: Indicator, breakdown: Sequence[str]) -> tuple[int, ...]:
    return projection(indicator, [b for b in breakdown if b in indicator.dimensions])


def last_days(
    session: Session, ids: Sequence[int] | sa.Select, period: P.Period, codes: list[str]
) -> dict[str, date]:
    if not codes:
        return {}
    rows = session.execute(
        select(IndicatorFact.indicator, sa.func.max(IndicatorFact.day))
        .where(_scope(ids, period, codes), IndicatorFact.breakdown == "")
        .group_by(IndicatorFact.indicator)
    ).all()
    return {code: day for code, day in rows if day is not None}


def _last_rows(session, ids, lasts: dict[str, date], wanted_keys: list[str]):
    """Every row of each snapshot's last day (its total, and its breakdown when asked)."""
    if not lasts:
        return {}
    rows = session.execute(
        select(
            IndicatorFact.indicator,
            IndicatorFact.breakdown,
            sa.func.sum(IndicatorFact.numerator),
            sa.func.sum(IndicatorFact.denominator),
        )
        .where(
            IndicatorFact.organisation_id.in_(ids),
            sa.or_(
                *(
                    sa.and_(IndicatorFact.indicator == code, IndicatorFact.day == day)
                    for code, day in lasts.items()
                )
            ),
            sa.or_(IndicatorFact.breakdown == "", IndicatorFact.indicator.in_(wanted_keys)),
        )
        .group_by(IndicatorFact.indicator, IndicatorFact.breakdown)
    ).all()
    found: dict[str, list[tuple[str, float, float | None]]] = defaultdict(list)
    for code, key, n, d in rows:
        found[code].append((key, n, d))
    return found


def _snapshot(indicator, last_day, last_rows, summed, split) -> Figure:
    n_all, d_all, days = summed
    rows = last_rows.get(indicator.code, [])
    total = next(((n, d) for key, n, d in rows if key == ""), (0.0, None))
    if indicator.is_rate:
        average = indicator.value(n_all or 0.0, d_all)
    else:
        average = round((n_all or 0.0) / days, 1) if days else None
    return Figure(
        indicator,
        total[0] or 0.0,
        total[1],
        indicator.value(total[0] or 0.0, total[1]),
        days,
        last_day=last_day,
        average=average,
        breakdown=_parts(indicator, [r for r in rows if r[0]], split[indicator.code], total[1]),
    )


def _parts(indicator: Indicator, rows, positions: tuple[int, ...], total_den) -> list[Part]:
    """The breakdown rows added up over the dimensions not asked for. A rate without its own
    denominators divides each part by the total's."""
    if not positions:
        return []
    summed: dict[tuple[str, ...], list] = {}
    for key, n, d in rows:
        values = project(key, positions)
        row = summed.setdefault(values, [0.0, None])
        row[0] += n or 0.0
        if d is not None:
            row[1] = (row[1] or 0.0) + d
    names = [indicator.dimensions[p] for p in positions]
    parts = []
    for values, (n, d) in sorted(summed.items(), key=lambda item: (-item[1][0], item[0])):
        den = d if indicator.own_denominators else total_den
        parts.append(Part(dict(zip(names, values, strict=True)), n, den, indicator.value(n, den)))
    return parts


def resolve(codes: Iterable[str] | None, kinds: Iterable[str]) -> list[Indicator]:
    """The indicators asked for (KeyError naming an unknown one), or every indicator of the
    organisation kinds present."""
    if codes:
        return [INDICATORS[c] for c in dict.fromkeys(codes)]
    return for_kinds(kinds)


def kinds_in(orgs: Iterable[Organisation]) -> set[str]:
    return {o.kind for o in orgs}


def breakdown_values(key: str, indicator: Indicator) -> dict[str, str]:
    return dict(zip(indicator.dimensions, split_key(key), strict=False))
