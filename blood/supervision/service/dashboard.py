"""The read functions the API and the dashboard pages call: an organisation's indicators for a
period, a jurisdiction's overview with its children for drill-down, a series, and who has
reported lately. Each is a handful of statements over the fact table, whatever the size of
the jurisdiction or the length of the period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.errors import ValidationFailed
from blood.supervision import periods as P
from blood.supervision.indicators import INDICATORS, Indicator, project, projection
from blood.supervision.models import IndicatorFact
from blood.supervision.service.common import local_date, reading_organisation
from blood.supervision.service.inbound import jurisdiction_kinds, remote_kinds
from blood.supervision.service.rollup import Figure, figures, last_days, resolve

PERIOD_HELP = _l(
    "Not a period: use a day (2026-03-05), a week (2026-W10), a month (2026-03), a quarter "
    "(2026-Q1), a year (2026), a range (2026-03-01..2026-03-31) or today, yesterday, "
    "this-week, last-week, this-month, last-month, this-quarter, this-year, last-28-days."
)


def members_of(org: Organisation) -> sa.Select:
    """The ids of the organisation and everything below it (a sub-select)."""
    return select(Organisation.id).where(Organisation.path.startswith(org.path, autoescape=True))


def period_for(org: Organisation, text: str | None, default: str = "today") -> P.Period:
    """`text` read in the organisation's time zone (its "today")."""
    try:
        return P.parse(text or default, local_date(utcnow(), org.timezone))
    except P.PeriodError:
        raise ValidationFailed({"period": [str(PERIOD_HELP)]}, location="query") from None


def _indicators(codes: Sequence[str] | None, kinds: set[str]) -> list[Indicator]:
    try:
        return resolve(codes, kinds)
    except KeyError as unknown:
        raise ValidationFailed(
            {"indicator": [str(_l("Unknown indicator: %(code)s.", code=unknown.args[0]))]},
            location="query",
        ) from None


def _kinds_below(session: Session, org: Organisation) -> set[str]:
    # Remote jurisdictions (federation) count with the kinds their facts are of.
    return jurisdiction_kinds(session, org)


@dataclass(frozen=True)
class IndicatorReport:
    organisation: Organisation
    period: P.Period
    figures: list[Figure]
    breakdown: tuple[str, ...]


def indicator_report(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    period: str | None = None,
    indicators: Sequence[str] | None = None,
    breakdown: Sequence[str] = (),
) -> IndicatorReport:
    """An organisation's indicators for a period (default: today), rolled up over its
    jurisdiction for an authority, broken down by the `breakdown` dimensions each has.
    Indicators default to those of the kinds of organisation in scope."""
    org = reading_organisation(session, actor, organisation_code)
    span = period_for(org, period)
    chosen = _indicators(indicators, _kinds_below(session, org))
    unknown = [b for b in breakdown if not any(b in i.dimensions for i in chosen)]
    if unknown:
        raise ValidationFailed(
            {"breakdown": [str(_l("No such breakdown here: %(name)s.", name=unknown[0]))]},
            location="query",
        )
    found = figures(session, members_of(org), span, chosen, tuple(breakdown))
    return IndicatorReport(org, span, found, tuple(breakdown))


# --- the jurisdiction and its children ---------------------------------------------------


@dataclass(frozen=True)
class ChildFigures:
    organisation: Organisation
    figures: dict[str, Figure]


@dataclass(frozen=True)
class Overview:
    organisation: Organisation
    period: P.Period
    figures: list[Figure]  # the whole jurisdiction
    children: list[ChildFigures]  # each organisation or authority directly below, rolled up


def jurisdiction_overview(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    period: str | None = None,
    indicators: Sequence[str] | None = None,
) -> Overview:
    """Figures per indicator for the jurisdiction and for each organisation directly below
    it (a child authority rolled up over its own subtree), for drill-down: five statements."""
    org = reading_organisation(session, actor, organisation_code)
    span = period_for(org, period, "this-month")
    members = list(
        session.exec(
            select(Organisation).where(Organisation.path.startswith(org.path, autoescape=True))
        ).all()
    )
    remote = remote_kinds(session, org)  # remote jurisdictions: the kinds of their facts
    chosen = _indicators(indicators, {m.kind for m in members}.union(*remote.values()))
    codes = [i.code for i in chosen]
    ids = members_of(org)
    per_org = session.execute(
        select(
            IndicatorFact.organisation_id,
            IndicatorFact.indicator,
            sa.func.sum(IndicatorFact.numerator),
            sa.func.sum(IndicatorFact.denominator),
            sa.func.count(IndicatorFact.day),
        )
        .where(
            IndicatorFact.organisation_id.in_(ids),
            IndicatorFact.day >= span.start,
            IndicatorFact.day <= span.end,
            IndicatorFact.indicator.in_(codes),
            IndicatorFact.breakdown == "",
        )
        .group_by(IndicatorFact.organisation_id, IndicatorFact.indicator)
    ).all()
    lasts = last_days(session, ids, span, [i.code for i in chosen if i.is_snapshot])
    on_last = _on_last_day(session, ids, lasts)
    child_of = _child_of(org, members)
    sums: dict[int | None, dict[str, list]] = defaultdict(lambda: defaultdict(_zero))
    for org_id, code, n, d, days in per_org:
        for bucket in {None, child_of.get(org_id)}:  # once, for the organisation itself
            row = sums[bucket][code]
            row[0] += n or 0.0
            row[1] = None if d is None and row[1] is None else (row[1] or 0.0) + (d or 0.0)
            row[2] = max(row[2], days)
    for org_id, code, n, d in on_last:
        for bucket in {None, child_of.get(org_id)}:  # once, for the organisation itself
            row = sums[bucket][code]
            row[3] += n or 0.0
            row[4] = None if d is None and row[4] is None else (row[4] or 0.0) + (d or 0.0)
    children = sorted(
        (m for m in members if m.parent_id == org.id and m.id != org.id),
        key=lambda m: (m.kind != OrgKind.AUTHORITY, m.code),
    )
    return Overview(
        org,
        span,
        [_figure(i, sums[None][i.code], lasts.get(i.code)) for i in chosen],
        [
            ChildFigures(
                child,
                {
                    i.code: _figure(i, sums[child.id][i.code], lasts.get(i.code))
                    for i in chosen
                    if i.kinds & _kinds_of_child(child, members, remote)
                },
            )
            for child in children
        ],
    )


def _zero() -> list:
    return [0.0, None, 0, 0.0, None]  # numerator, denominator, days, last day's n and d


def _on_last_day(session: Session, ids, lasts: dict[str, date]) -> list:
    if not lasts:
        return []
    return session.execute(
        select(
            IndicatorFact.organisation_id,
            IndicatorFact.indicator,
            IndicatorFact.numerator,
            IndicatorFact.denominator,
        ).where(
            IndicatorFact.organisation_id.in_(ids),
            IndicatorFact.breakdown == "",
            sa.or_(
                *(
                    sa.and_(IndicatorFact.indicator == code, IndicatorFact.day == day)
                    for code, day in lasts.items()
                )
            ),
        )
    ).all()


def _child_of(org: Organisation, members: list[Organisation]) -> dict[int, int]:
    """Each member's organisation directly below `org` (itself, or the authority it sits
    under), from the materialised paths."""
    found = {}
    for member in members:
        rest = member.path[len(org.path) :].strip("/")
        if rest:
            found[member.id] = int(rest.split("/")[0])
    return found


def _kinds_of_child(
    child: Organisation, members: list[Organisation], remote: dict[int, set[str]]
) -> set[str]:
    if child.kind != OrgKind.AUTHORITY:
        return {child.kind}
    below = [m for m in members if m.path.startswith(child.path)]
    return {m.kind for m in below}.union(*(remote.get(m.id, set()) for m in below))


def _figure(indicator: Indicator, row: list, last_day: date | None) -> Figure:
    n, d, days, last_n, last_d = row
    if not indicator.is_snapshot:
        return Figure(indicator, n, d, indicator.value(n, d), days)
    average = indicator.value(n, d) if indicator.is_rate else (round(n / days, 1) if days else None)
    return Figure(
        indicator,
        last_n,
        last_d,
        indicator.value(last_n, last_d),
        days,
        last_day=last_day,
        average=average,
    )


# --- series ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    period: P.Period
    numerator: float
    denominator: float | None
    value: float | None
    average: float | None = None  # snapshots: the average of the bucket's days
    parts: dict[tuple[str, ...], float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Series:
    organisation: Organisation
    indicator: Indicator
    period: P.Period
    grain: str
    points: list[Point]
    breakdown: tuple[str, ...] = ()


def trend(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    indicator: str,
    period: str | None = None,
    grain: str = P.DAY,
    breakdown: Sequence[str] = (),
) -> Series:
    """One indicator over a period, bucket by bucket (day, week, month, quarter, year), for
    the jurisdiction (or organisation); `breakdown` adds each bucket's parts. Two
    statements."""
    org = reading_organisation(session, actor, organisation_code)
    span = period_for(org, period, "last-28-days")
    chosen = _indicators([indicator], set())[0]
    if grain not in P.GRAINS:
        raise ValidationFailed({"grain": [", ".join(P.GRAINS)]}, location="query")
    try:
        positions = projection(chosen, breakdown)
    except ValueError as unknown:
        raise ValidationFailed(
            {"breakdown": [str(_l("No such breakdown here: %(name)s.", name=unknown.args[0]))]},
            location="query",
        ) from None
    condition = [
        IndicatorFact.organisation_id.in_(members_of(org)),
        IndicatorFact.indicator == chosen.code,
        IndicatorFact.day >= span.start,
        IndicatorFact.day <= span.end,
    ]
    if not positions:
        condition.append(IndicatorFact.breakdown == "")
    rows = session.execute(
        select(
            IndicatorFact.day,
            IndicatorFact.breakdown,
            sa.func.sum(IndicatorFact.numerator),
            sa.func.sum(IndicatorFact.denominator),
        )
        .where(*condition)
        .group_by(IndicatorFact.day, IndicatorFact.breakdown)
    ).all()
    by_day: dict[date, list] = defaultdict(lambda: [0.0, None, defaultdict(lambda: [0.0, None])])
    for day, key, n, d in rows:
        slot = by_day[day]
        target = slot if key == "" else slot[2][project(key, positions)]
        target[0] += n or 0.0
        if d is not None:
            target[1] = (target[1] or 0.0) + d
    points = [_point(chosen, bucket, by_day) for bucket in P.buckets(span, grain)]
    return Series(org, chosen, span, grain, points, tuple(breakdown))


def _point(indicator: Indicator, bucket: P.Period, by_day) -> Point:
    days = sorted(d for d in by_day if d in bucket)
    n = sum(by_day[d][0] for d in days)
    den_values = [by_day[d][1] for d in days if by_day[d][1] is not None]
    d = sum(den_values) if den_values else None
    parts: dict[tuple[str, ...], list] = defaultdict(lambda: [0.0, None])
    chosen_days = days[-1:] if indicator.is_snapshot else days
    for day in chosen_days:
        for key, (pn, pd) in by_day[day][2].items():
            parts[key][0] += pn
            if pd is not None:
                parts[key][1] = (parts[key][1] or 0.0) + pd
    total_den = by_day[days[-1]][1] if indicator.is_snapshot and days else d
    values = {
        key: indicator.value(pn, pd if indicator.own_denominators else total_den)
        for key, (pn, pd) in parts.items()
    }
    if not indicator.is_snapshot:
        return Point(bucket, n, d, indicator.value(n, d), parts=values)
    if not days:
        return Point(bucket, 0.0, None, None, None, values)
    last_n, last_d = by_day[days[-1]][0], by_day[days[-1]][1]
    average = indicator.value(n, d) if indicator.is_rate else round(n / len(days), 1)
    return Point(bucket, last_n, last_d, indicator.value(last_n, last_d), average, values)


def indicator_of(code: str) -> Indicator:
    return INDICATORS[code]
