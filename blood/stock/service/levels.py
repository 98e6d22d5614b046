"""Stock levels: units on hand, average daily use and days of supply per component and
ABO/RhD group, and the alert phase those days fall in."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, func, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import Actor, require_visible_org, visible_org_ids
from blood.db import utcnow
from blood.errors import NotFound
from blood.pagination import Page, PageRequest
from blood.stock.bands import phase_of, thresholds_for
from blood.stock.models import COMPONENTS, GROUPS, Unit
from blood.stock.service.expiry import near_expiry_page
from blood.stock.service.organisations import acting_reader, stock_holders
from blood.stock.service.units import ON_HAND
from blood.stock.service.usage import usage_in_window


@dataclass(frozen=True)
class StockLevel:
    component: str
    abo: str
    rhd: str
    on_hand: int
    daily_usage: float
    days_of_supply: float | None  # None: no usage in the window
    phase: str  # green | pre_amber | amber | red | none

    @property
    def group(self) -> str:
        return f"{self.abo}{self.rhd}"


def stock_levels(
    *,
    session: Session,
    actor: Actor,
    organisation_ids: list[int] | None = None,
    organisation_code: str | None = None,
    now: datetime | None = None,
) -> list[StockLevel]:
    """Units on hand, average daily usage over the window (a centre's issues, a hospital's
    transfusions, read from the daily roll-up: ``usage.usage_in_window``) and days of
    supply, per component and ABO/RhD group, summed over the organisations given, by id or by
    the code of one (default: every organisation the actor may see)."""
    if organisation_code is not None:
        organisation_ids = [require_visible_org(session, actor, organisation_code.upper()).id]
    now = now or utcnow()
    config = settings.of(session)
    window = config.stock_usage_window_days
    if organisation_ids is None:
        scope = visible_org_ids(actor)
    else:
        allowed = set(session.exec(visible_org_ids(actor)).all())
        if not set(organisation_ids) <= allowed:
            raise NotFound()
        scope = organisation_ids
    held = session.exec(
        select(Unit.component, Unit.abo, Unit.rhd, func.count())
        .where(
            Unit.owner_id.in_(scope),
            Unit.state.in_([s.value for s in ON_HAND]),
            Unit.expires_at > now,
        )
        .group_by(Unit.component, Unit.abo, Unit.rhd)
    ).all()
    used = usage_in_window(session=session, scope=scope, now=now, days=window)
    on_hand = defaultdict(int, {(c, a, r): n for c, a, r, n in held})
    usage = defaultdict(int, used)
    levels = []
    for component in COMPONENTS:
        for abo, rhd in GROUPS:
            key = (component, abo, rhd)
            daily = usage[key] / window
            days = on_hand[key] / daily if daily else None
            limits = thresholds_for(component, f"{abo}{rhd}", config.stock_alert_thresholds)
            phase = phase_of(days, on_hand[key], limits)
            levels.append(
                StockLevel(
                    component,
                    abo,
                    rhd,
                    on_hand[key],
                    round(daily, 2),
                    round(days, 1) if days is not None else None,
                    phase,
                )
            )
    return levels


def usage_window_days(*, session: Session) -> int:
    return settings.of(session).stock_usage_window_days


@dataclass(frozen=True)
class StockOverview:
    """The stock page: levels over the actor's scope or one organisation in it; an
    authority's holders to choose from, or a holder's units about to expire."""

    levels: list[StockLevel]
    focus: Organisation | None
    window_days: int
    holders: list[Organisation] = field(default_factory=list)
    expiring: Page[Unit] | None = None  # a page of them


def stock_overview(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    page: PageRequest | None = None,
) -> StockOverview:
    """An authority sees its whole jurisdiction, or one organisation in it; a blood centre
    or hospital sees its own stock and what of it expires soon (a `page` of it)."""
    reader = acting_reader(session=session, actor=actor)
    focus = (
        require_visible_org(session, actor, organisation_code.upper())
        if organisation_code
        else None
    )
    levels = stock_levels(
        session=session, actor=actor, organisation_ids=[focus.id] if focus else None
    )
    holders: list[Organisation] = []
    expiring: Page[Unit] | None = None
    if reader.kind == OrgKind.AUTHORITY:
        holders = stock_holders(session=session, actor=actor)
    else:
        expiring = near_expiry_page(session=session, actor=actor, page=page or PageRequest())
    return StockOverview(
        levels=levels,
        focus=focus,
        window_days=usage_window_days(session=session),
        holders=holders,
        expiring=expiring,
    )
