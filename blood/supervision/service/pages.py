"""What the regulator's dashboard page shows, in one call: the jurisdiction's (or one
organisation's) figures for a period and those of each organisation directly below it, the
stock board, the open alerts, the trends, and the trail back up to the inspector's own
authority. The page and every CSV export of its tables call this same function, so a table
and its export show the same figures over the same scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.supervision import periods as P
from blood.supervision.service.alerts import OpenAlerts, open_alerts
from blood.supervision.service.common import reading_organisation
from blood.supervision.service.dashboard import Overview, Series, jurisdiction_overview, trend
from blood.supervision.service.reporting import ReportStatus, reporting_status
from blood.supervision.service.stock_board import StockBoard, stock_board

# The series the dashboard draws, when the jurisdiction has organisations they apply to:
# donations and transfusions, wastage, reactive rates, reactions.
TREND_INDICATORS = (
    "plasma_donations",
    "blood_collections",
    "transfusions",
    "wastage_rate",
    "reactive_rate",
    "adverse_reaction_rate",
)
SHORTEST_TREND_DAYS = 7  # a shorter period is drawn over the 28 days that end with it
ALERTS_ON_PAGE = 10


@dataclass(frozen=True)
class Dashboard:
    organisation: Organisation
    period: P.Period
    trail: list[Organisation]  # from the inspector's own authority down to `organisation`
    overview: Overview
    stock: StockBoard
    alerts: OpenAlerts
    trend_period: P.Period
    grain: str
    trends: list[Series]
    reporting: list[ReportStatus]  # who has reported lately, silent ones first


def grain_for(period: P.Period) -> str:
    """The buckets a period's trend is drawn in: days for a month, weeks for a quarter,
    months for a year, quarters beyond."""
    if period.days <= 45:
        return P.DAY
    if period.days <= 120:
        return P.WEEK
    if period.days <= 800:
        return P.MONTH
    return P.QUARTER


def trend_period(period: P.Period) -> P.Period:
    if period.days >= SHORTEST_TREND_DAYS:
        return period
    return P.custom(period.end - timedelta(days=27), period.end)


def trail_to(session: Session, actor: Actor, org: Organisation) -> list[Organisation]:
    """The organisations from the actor's own down to `org` (the breadcrumb): only those the
    actor may see, from the ids of the materialised path."""
    ids = [int(part) for part in org.path.strip("/").split("/") if part]
    statement = select(Organisation).where(Organisation.id.in_(ids))
    if not actor.is_system:
        statement = statement.where(
            Organisation.path.startswith(actor.organisation_path or "\0", autoescape=True)
        )
    found = {o.id: o for o in session.exec(statement).all()}
    return [found[i] for i in ids if i in found]


def dashboard(
    *,
    session: Session,
    actor: Actor,
    organisation_code: str | None = None,
    period: str | None = None,
    alerts_page: int = 1,
) -> Dashboard:
    """The dashboard of the actor's jurisdiction, or of one organisation in it (an
    authority below, or a station, blood centre or hospital), for a period (default: this
    month). Out of scope answers NotFound, before anything is read."""
    from blood.pagination import PageRequest

    org = reading_organisation(session, actor, organisation_code)
    overview = jurisdiction_overview(
        session=session, actor=actor, organisation_code=org.code, period=period
    )
    span = overview.period
    drawn = trend_period(span)
    grain = grain_for(drawn)
    present = {f.indicator.code for f in overview.figures}
    trends = [
        trend(
            session=session,
            actor=actor,
            organisation_code=org.code,
            indicator=code,
            period=drawn.label,
            grain=grain,
        )
        for code in TREND_INDICATORS
        if code in present
    ]
    return Dashboard(
        organisation=org,
        period=span,
        trail=trail_to(session, actor, org),
        overview=overview,
        stock=stock_board(session=session, actor=actor, organisation_code=org.code),
        alerts=open_alerts(
            session=session,
            actor=actor,
            organisation_code=org.code,
            page=PageRequest(alerts_page, ALERTS_ON_PAGE),
        ),
        trend_period=drawn,
        grain=grain,
        trends=trends,
        reporting=reporting_status(session=session, actor=actor, organisation_code=org.code),
    )
