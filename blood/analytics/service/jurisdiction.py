"""An authority's roll-up of the forecasts: the latest forecast of every blood centre of its
tree, summed per component and group, with the earliest projected amber and red day of any
centre (and which centre).

The sum of the centres' intervals bounds the jurisdiction's: each centre's 95 % interval is
added edge to edge, which is wider than the interval of a sum of independent centres — the
page says "at most". Shortages are not summed: a centre short of O− is short whatever the
others hold (units move between centres by transfer, not by arithmetic).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.analytics import forecasting
from blood.analytics.models import ForecastDay, ForecastSeries
from blood.analytics.service.forecast import RECENT_DAYS, readable_centres
from blood.errors import Forbidden
from blood.stock.models import COMPONENTS, GROUPS, DailyUsage


@dataclass
class GroupOutlook:
    component: str
    abo: str
    rhd: str
    days: list[date] = field(default_factory=list)
    mean: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    actual: list[tuple[date, int]] = field(default_factory=list)  # the centres' recent issues
    centres: int = 0  # the centres with a forecast of the group
    on_hand: int = 0
    first_amber: date | None = None
    amber_centre: Organisation | None = None
    first_red: date | None = None
    red_centre: Organisation | None = None

    @property
    def key(self) -> str:
        return f"{self.component}-{self.abo}{self.rhd}"

    @property
    def totals(self) -> list[forecasting.HorizonTotal]:
        """The summed forecast over the next 7, 14 and 28 days."""
        return forecasting.horizon_totals(self.mean, self.lower, self.upper)


@dataclass(frozen=True)
class JurisdictionForecast:
    authority: Organisation
    centres: list[Organisation]
    groups: list[GroupOutlook]
    made_at: datetime | None

    def chosen(self, wanted: str | None) -> GroupOutlook | None:
        by_key = {g.key: g for g in self.groups}
        if wanted in by_key:
            return by_key[wanted]
        for test in (lambda g: g.first_red, lambda g: g.first_amber, lambda g: True):
            found = next((g for g in self.groups if test(g)), None)
            if found is not None:
                return found
        return None


def jurisdiction_forecast(*, session: Session, actor: Actor) -> JurisdictionForecast:
    """The roll-up of the authority's tree (see the module); others are refused."""
    if actor.organisation_kind != OrgKind.AUTHORITY:
        raise Forbidden()
    centres = readable_centres(session=session, actor=actor)
    authority = session.get(Organisation, actor.organisation_id)
    latest = (
        select(ForecastSeries.centre_id, sa.func.max(ForecastSeries.made_at).label("made_at"))
        .where(ForecastSeries.centre_id.in_([c.id for c in centres]))
        .group_by(ForecastSeries.centre_id)
        .subquery()
    )
    series = list(
        session.exec(
            select(ForecastSeries).join(
                latest,
                sa.and_(
                    ForecastSeries.centre_id == latest.c.centre_id,
                    ForecastSeries.made_at == latest.c.made_at,
                ),
            )
        ).all()
    )
    days: dict[int, list[ForecastDay]] = defaultdict(list)
    if series:
        for day in session.exec(
            select(ForecastDay)
            .where(ForecastDay.series_id.in_([s.id for s in series]))
            .order_by(ForecastDay.series_id, ForecastDay.day)
        ):
            days[day.series_id].append(day)
    by_id = {c.id: c for c in centres}
    groups: dict[tuple[str, str, str], GroupOutlook] = {}
    for s in series:
        outlook = groups.setdefault(
            (s.component, s.abo, s.rhd), GroupOutlook(s.component, s.abo, s.rhd)
        )
        _add(outlook, s, days.get(s.id, []), by_id[s.centre_id])
    ordered = sorted(
        groups.values(),
        key=lambda g: (COMPONENTS.index(g.component), GROUPS.index((g.abo, g.rhd))),
    )
    _recent_issues(session, [c.id for c in centres], ordered)
    made_at = max((s.made_at for s in series), default=None)
    return JurisdictionForecast(authority, centres, ordered, made_at)


def _recent_issues(session: Session, centre_ids: list[int], groups: list[GroupOutlook]) -> None:
    """Each group's issues by all the centres over the RECENT_DAYS before its forecast."""
    starts = [g.days[0] for g in groups if g.days]
    if not starts:
        return
    first = min(starts)
    start = first - timedelta(days=RECENT_DAYS)
    used: dict[tuple[str, str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in session.exec(
        select(DailyUsage).where(
            DailyUsage.organisation_id.in_(centre_ids),
            DailyUsage.day >= start,
            DailyUsage.day < first,
        )
    ):
        used[(row.component, row.abo, row.rhd)][row.day] += row.units
    for g in groups:
        days = used.get((g.component, g.abo, g.rhd), {})
        g.actual = [
            (start + timedelta(days=i), days.get(start + timedelta(days=i), 0))
            for i in range(RECENT_DAYS)
        ]


def _add(outlook: GroupOutlook, series: ForecastSeries, days, centre: Organisation) -> None:
    """Add one centre's series to the group's sums, day by day (the days the centres share;
    a centre whose forecast began another day adds where the days meet)."""
    if not outlook.days:
        outlook.days = [d.day for d in days]
        outlook.mean = [0.0] * len(days)
        outlook.lower = [0.0] * len(days)
        outlook.upper = [0.0] * len(days)
    index = {day: i for i, day in enumerate(outlook.days)}
    for d in days:
        i = index.get(d.day)
        if i is not None:
            outlook.mean[i] += d.mean
            outlook.lower[i] += d.lower
            outlook.upper[i] += d.upper
    outlook.centres += 1
    outlook.on_hand += series.on_hand
    if series.first_amber and (
        outlook.first_amber is None or series.first_amber < outlook.first_amber
    ):
        outlook.first_amber, outlook.amber_centre = series.first_amber, centre
    if series.first_red and (outlook.first_red is None or series.first_red < outlook.first_red):
        outlook.first_red, outlook.red_centre = series.first_red, centre
