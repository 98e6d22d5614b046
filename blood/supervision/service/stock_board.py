"""The stock board: days of supply per component and ABO/RhD group, with the alert phase
(``blood.stock.bands``, thresholds from ``Settings``) and the configured minimum, for every
blood centre and hospital in a jurisdiction, from their latest snapshot facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.stock.bands import phase_of, thresholds_for
from blood.stock.models import COMPONENTS, GROUPS
from blood.supervision.indicators import split_key
from blood.supervision.models import IndicatorFact
from blood.supervision.service.common import local_date, reading_organisation

HOLDER_KINDS = (OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)
STALE_AFTER_DAYS = 2  # a holder whose latest snapshot is older shows no figures


@dataclass(frozen=True)
class StockCell:
    component: str
    group: str  # "O-"
    on_hand: int
    daily_use: float
    days: float | None  # None: nothing used in the window
    phase: str  # green | pre_amber | amber | red | none
    minimum: int | None  # the configured minimum, if any

    @property
    def below_minimum(self) -> bool:
        return self.minimum is not None and self.on_hand < self.minimum


@dataclass(frozen=True)
class HolderStock:
    organisation: Organisation
    day: date | None  # the snapshot's day (None: no recent snapshot)
    cells: list[StockCell]

    def cell(self, component: str, group: str) -> StockCell | None:
        return next((c for c in self.cells if (c.component, c.group) == (component, group)), None)


@dataclass(frozen=True)
class StockBoard:
    organisation: Organisation
    holders: list[HolderStock]
    totals: list[StockCell]  # the jurisdiction's, summed over its holders


def minimum_for(config: Mapping[str, Any], org: Organisation, component: str, group: str):
    """The minimum units on hand configured for the organisation (by its code), else for its
    kind; None when none is set."""
    for scope in (org.code, org.kind):
        found = (config.get(scope) or {}).get(component, {}).get(group)
        if found is not None:
            return int(found)
    return None


def minimums_of(config: Mapping[str, Any], org: Organisation) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for scope in (org.kind, org.code):  # the organisation's own figures win
        for component, groups in (config.get(scope) or {}).items():
            for group, units in (groups or {}).items():
                found[(component, group)] = int(units)
    return found


def cell(component: str, group: str, on_hand: float, daily: float, config, minimum) -> StockCell:
    days = on_hand / daily if daily else None
    limits = thresholds_for(component, group, config.stock_alert_thresholds)
    return StockCell(
        component,
        group,
        round(on_hand),
        round(daily, 2),
        round(days, 1) if days is not None else None,
        phase_of(days, round(on_hand), limits),
        minimum,
    )


def stock_board(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    components: tuple[str, ...] = COMPONENTS,
) -> StockBoard:
    """Every blood centre and hospital in the actor's jurisdiction (or one of them), each
    group of each component: on hand, daily use, days of supply, phase, minimum. Two
    statements over the organisations and the latest snapshot facts."""
    org = reading_organisation(session, actor, organisation_code)
    config = settings.of(session)
    holders = list(
        session.exec(
            select(Organisation)
            .where(
                Organisation.path.startswith(org.path, autoescape=True),
                Organisation.kind.in_([k.value for k in HOLDER_KINDS]),
            )
            .order_by(Organisation.kind, Organisation.code)
        ).all()
    )
    since = local_date(utcnow(), org.timezone) - timedelta(days=STALE_AFTER_DAYS)
    rows = (
        session.exec(
            select(
                IndicatorFact.organisation_id,
                IndicatorFact.day,
                IndicatorFact.breakdown,
                IndicatorFact.numerator,
                IndicatorFact.denominator,
            ).where(
                IndicatorFact.organisation_id.in_([h.id for h in holders]),
                IndicatorFact.indicator == "days_of_supply",
                IndicatorFact.day >= since,
            )
        ).all()
        if holders
        else []
    )
    latest: dict[int, date] = {}
    for org_id, day, _key, _n, _d in rows:
        latest[org_id] = max(day, latest.get(org_id, day))
    figures: dict[int, dict[tuple[str, str], tuple[float, float]]] = defaultdict(dict)
    for org_id, day, key, n, d in rows:
        if key and day == latest[org_id]:
            component, group = split_key(key)
            figures[org_id][(component, group)] = (n, d or 0.0)
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    board = []
    for holder in holders:
        minimums = minimums_of(config.stock_minimum_units, holder)
        cells = []
        for component in components:
            for abo, rhd in GROUPS:
                group = f"{abo}{rhd}"
                n, d = figures[holder.id].get((component, group), (0.0, 0.0))
                totals[(component, group)][0] += n
                totals[(component, group)][1] += d
                cells.append(cell(component, group, n, d, config, minimums.get((component, group))))
        board.append(HolderStock(holder, latest.get(holder.id), cells))
    summed = [
        cell(component, f"{abo}{rhd}", *totals[(component, f"{abo}{rhd}")], config, None)
        for component in components
        for abo, rhd in GROUPS
    ]
    return StockBoard(org, board, summed)
