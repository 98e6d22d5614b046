"""Work queues on the home page: what is waiting for each of the actor's roles.

One call per home page (``home_queues``); every read is a bounded count or a short list
(``FIRST_ROWS``) in its own organisation only, so a queue never counts another's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.models import ApiToken, Organisation, User
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor
from blood.db import utcnow
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from blood.plasma.models import UnitState as PlasmaState
from blood.plasma.service import quarantine
from blood.plasma.service.station import quarantine_days, require_station
from blood.stock import service as stock
from blood.stock.models import BloodDonation, BloodTestResult, Order, Unit
from blood.stock.service.markers import lab_markers, marker_label
from blood.stock.service.units import ON_HAND

FIRST_ROWS = 5
TOKEN_IDLE_DAYS = 90
EXPIRY_HOURS = 72


@dataclass(frozen=True)
class Row:
    text: str
    endpoint: str | None = None
    args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Queue:
    """One queue: its title, how many are waiting, the page that works it, the first rows."""

    key: str
    title: str
    count: int
    endpoint: str | None
    rows: tuple[Row, ...] = ()


def _count(session: Session, statement) -> int:
    return session.exec(select(sa.func.count()).select_from(statement.subquery())).one()


def _today_visits(session: Session, actor: Actor):
    station = require_station(session, actor)
    today = donors.local_today(station)
    return select(Visit.id).where(Visit.station_id == station.id, Visit.visit_date == today)


def _station_queues(session: Session, actor: Actor) -> list[Queue]:
    queues: list[Queue] = []
    org_id = actor.organisation_id
    if actor.has_role(Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR):
        today = _today_visits(session, actor)
        if actor.has_role(Role.REGISTRAR):
            queues.append(
                Queue(
                    "checked_in",
                    str(_l("Donors checked in today")),
                    _count(session, today),
                    "plasma.desk",
                )
            )
        if actor.has_role(Role.PHYSICIAN):
            waiting = today.where(Visit.status == VisitStatus.CHECKED_IN)
            queues.append(
                Queue(
                    "screening",
                    str(_l("Visits waiting for screening")),
                    _count(session, waiting),
                    "plasma.desk",
                )
            )
        if actor.has_role(Role.COLLECTOR):
            screened = today.where(
                Visit.status == VisitStatus.ELIGIBLE,
                ~select(Collection.id).where(Collection.visit_id == Visit.id).exists(),
            )
            queues.append(
                Queue(
                    "collection",
                    str(_l("Screened and waiting for collection")),
                    _count(session, screened),
                    "plasma.desk",
                )
            )
    if actor.has_role(Role.LAB):
        untested = select(Collection.id).where(
            Collection.station_id == org_id,
            ~select(LabResult.id).where(LabResult.collection_id == Collection.id).exists(),
        )
        queues.append(
            Queue(
                "lab",
                str(_l("Donations waiting for results")),
                _count(session, untested),
                "plasma.lab",
            )
        )
    if actor.has_role(Role.QUALITY):
        station = require_station(session, actor)
        releasable = select(Collection.id).where(
            Collection.station_id == org_id,
            quarantine.releasable_clause(
                station, donors.local_today(station), quarantine_days(session)
            ),
        )
        queues.append(
            Queue(
                "releasable",
                str(_l("Units ready to release")),
                _count(session, releasable),
                "plasma.quarantine",
            )
        )
        open_deviations = select(Collection.id).where(
            Collection.station_id == org_id,
            Collection.deviation_status == "open",
            Collection.state == PlasmaState.QUARANTINE,
        )
        queues.append(
            Queue(
                "deviations",
                str(_l("Deviations to decide")),
                _count(session, open_deviations),
                "plasma.deviations",
            )
        )
    return queues


def _expiring(session: Session, actor: Actor) -> Queue:
    now = utcnow()
    statement = (
        select(Unit)
        .where(
            Unit.owner_id == actor.organisation_id,
            Unit.state.in_([s.value for s in ON_HAND]),
            Unit.expires_at > now,
            Unit.expires_at <= now + timedelta(hours=EXPIRY_HOURS),
        )
        .order_by(Unit.expires_at, Unit.id)
    )
    first = session.exec(statement.limit(FIRST_ROWS)).all()
    rows = tuple(
        Row(f"{u.din} · {u.expires_at:%Y-%m-%d %H:%M}", "stock.unit_label", {"unit_id": u.id})
        for u in first
    )
    return Queue(
        "expiring",
        str(_l("Units expiring within 72 hours")),
        _count(session, statement),
        "stock.units",
        rows,
    )


URGENCY_ORDER = sa.case((Order.urgency == "emergency", 0), (Order.urgency == "urgent", 1), else_=2)
URGENCY_WORDS = {"emergency": _l("Emergency"), "urgent": _l("Urgent"), "routine": _l("Routine")}
ORDER_STATE_WORDS = {
    "open": _l("Not yet filled"),
    "partial": _l("Partly filled"),
    "fulfilled": _l("Fulfilled"),
    "cancelled": _l("Cancelled"),
}


def _local_day(org: Organisation) -> tuple[datetime, datetime]:
    """Today in the organisation's time zone, as the UTC instants that bound it."""
    zone = ZoneInfo(org.timezone)
    start = datetime.combine(donors.local_today(org), time.min, tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=1)


def _centre_desk(session: Session, actor: Actor) -> list[Queue]:
    """The donor side of a blood centre's day: registered, collected, reactions to follow up.
    (A blood centre screens at collection: there is no separate screening visit.)"""
    centre = stock.acting_centre(session=session, actor=actor)
    start, end = _local_day(centre)
    queues: list[Queue] = []
    if actor.has_role(Role.REGISTRAR):
        registered = select(Donor.id).where(
            Donor.station_id == centre.id, Donor.registered_at >= start, Donor.registered_at < end
        )
        queues.append(
            Queue(
                "registered",
                str(_l("Donors registered today")),
                _count(session, registered),
                "donors.index",
            )
        )
    today = select(BloodDonation).where(
        BloodDonation.centre_id == centre.id,
        BloodDonation.collected_at >= start,
        BloodDonation.collected_at < end,
    )
    if actor.has_role(Role.COLLECTOR):
        queues.append(
            Queue(
                "collected",
                str(_l("Donations collected today")),
                _count(session, today),
                "stock.collect",
            )
        )
    if actor.has_role(Role.PHYSICIAN):
        reactions = today.where(BloodDonation.adverse_reaction.is_not(None)).order_by(
            BloodDonation.collected_at
        )
        first = session.exec(reactions.limit(FIRST_ROWS)).all()
        rows = tuple(
            Row(f"{d.din} · {d.collected_at:%H:%M}", "stock.donation", {"donation_id": d.id})
            for d in first
        )
        queues.append(
            Queue(
                "donor_reactions",
                str(_l("Donor reactions today, to follow up")),
                _count(session, reactions),
                None,
                rows,
            )
        )
    return queues


def _centre_quality(session: Session, actor: Actor) -> list[Queue]:
    releasable = stock.releasable_units(session=session, actor=actor)
    rows = tuple(
        Row(f"{u.din} · {u.expires_at:%Y-%m-%d %H:%M}", "stock.unit_label", {"unit_id": u.id})
        for u in releasable[:FIRST_ROWS]
    )
    discrepant = select(BloodDonation.id).where(
        BloodDonation.centre_id == actor.organisation_id,
        BloodDonation.group_status == "discrepant",
    )
    return [
        Queue(
            "releasable", str(_l("Units ready to release")), len(releasable), "stock.units", rows
        ),
        Queue(
            "group_discrepancies",
            str(_l("ABO/RhD discrepancies to resolve")),
            _count(session, discrepant),
            None,
        ),
    ]


def _centre_queues(session: Session, actor: Actor) -> list[Queue]:
    queues: list[Queue] = []
    if actor.has_role(Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR):
        queues += _centre_desk(session, actor)
    if actor.has_role(Role.QUALITY):
        queues += _centre_quality(session, actor)
    if actor.has_role(Role.STOCK_CLERK):
        statement = (
            select(Order)
            .where(Order.centre_id == actor.organisation_id, Order.status.in_(["open", "partial"]))
            .order_by(URGENCY_ORDER, Order.needed_by.is_(None), Order.needed_by, Order.id)
        )
        first = session.exec(statement.limit(FIRST_ROWS)).all()
        rows = tuple(
            Row(
                " · ".join(
                    [str(URGENCY_WORDS.get(o.urgency, o.urgency))]
                    + ([f"{o.needed_by:%Y-%m-%d %H:%M}"] if o.needed_by else [])
                ),
                "stock.order",
                {"order_id": o.id},
            )
            for o in first
        )
        queues.append(
            Queue(
                "orders", str(_l("Open orders")), _count(session, statement), "stock.orders", rows
            )
        )
    if actor.has_role(Role.LAB):
        queues.append(_centre_lab(session, actor))
    if actor.has_role(Role.QUALITY):
        open_deviations = select(BloodDonation.id).where(
            BloodDonation.centre_id == actor.organisation_id,
            BloodDonation.deviation_status == "open",
        )
        queues.append(
            Queue(
                "deviations",
                str(_l("Deviations to decide")),
                _count(session, open_deviations),
                "stock.deviations",
            )
        )
    if actor.has_role(Role.STOCK_CLERK, Role.QUALITY):
        queues.append(_expiring(session, actor))
    return queues


def _centre_lab(session: Session, actor: Actor) -> Queue:
    """Donations still missing a marker's result, counted per marker in one query."""
    markers = lab_markers(session=session)
    if not markers:
        return Queue("lab", str(_l("Donations waiting for results")), 0, "stock.lab")
    centre = BloodDonation.centre_id == actor.organisation_id
    missing = [
        sa.func.sum(
            sa.case(
                (
                    ~select(BloodTestResult.id)
                    .where(
                        BloodTestResult.donation_id == BloodDonation.id,
                        BloodTestResult.marker == marker,
                    )
                    .exists(),
                    1,
                ),
                else_=0,
            )
        )
        for marker in markers
    ]
    any_missing = ~sa.and_(
        *(
            select(BloodTestResult.id)
            .where(
                BloodTestResult.donation_id == BloodDonation.id, BloodTestResult.marker == marker
            )
            .exists()
            for marker in markers
        )
    )
    counts = session.exec(
        select(sa.func.sum(sa.case((any_missing, 1), else_=0)), *missing).where(centre)
    ).one()
    total, per_marker = counts[0] or 0, [n or 0 for n in counts[1:]]
    rows = tuple(
        Row(f"{marker_label(marker)}: {n}", "stock.lab")
        for marker, n in zip(markers, per_marker, strict=True)
        if n
    )
    return Queue("lab", str(_l("Donations waiting for results")), total, "stock.lab", rows)


def _hospital_queues(session: Session, actor: Actor) -> list[Queue]:
    queues = [_expiring(session, actor)]
    on_hand = (
        select(Unit)
        .where(Unit.owner_id == actor.organisation_id, Unit.state.in_([s.value for s in ON_HAND]))
        .order_by(Unit.expires_at, Unit.id)
    )
    first = session.exec(on_hand.limit(FIRST_ROWS)).all()
    rows = tuple(Row(f"{u.din} · {u.expires_at:%Y-%m-%d %H:%M}") for u in first)
    queues.append(
        Queue(
            "on_hand",
            str(_l("Units on hand")),
            _count(session, on_hand),
            "stock.units",
            rows,
        )
    )
    states = session.exec(
        select(Order.status, sa.func.count())
        .where(Order.hospital_id == actor.organisation_id)
        .group_by(Order.status)
    ).all()
    rows = tuple(
        Row(f"{ORDER_STATE_WORDS.get(status, status)}: {n}", "stock.orders")
        for status, n in sorted(states)
    )
    queues.append(
        Queue("my_orders", str(_l("Our orders")), sum(n for _, n in states), "stock.orders", rows)
    )
    return queues


def _admin_queues(session: Session, actor: Actor) -> list[Queue]:
    now = utcnow()
    locked = select(User.id).where(
        User.organisation_id == actor.organisation_id,
        User.locked_until.is_not(None),
        User.locked_until > now,
    )
    idle_cutoff = now - timedelta(days=TOKEN_IDLE_DAYS)
    idle = select(ApiToken.id).where(
        ApiToken.organisation_id == actor.organisation_id,
        ApiToken.revoked_at.is_(None),
        sa.or_(
            ApiToken.last_used_at < idle_cutoff,
            sa.and_(ApiToken.last_used_at.is_(None), ApiToken.created_at < idle_cutoff),
        ),
    )
    return [
        Queue("locked", str(_l("Locked accounts")), _count(session, locked), "accounts.users"),
        Queue(
            "idle_tokens",
            str(_l("API tokens not used for 90 days")),
            _count(session, idle),
            "accounts.tokens",
        ),
    ]


def home_queues(*, session: Session, actor: Actor) -> list[Queue]:
    """The queues the actor's roles work, in its own organisation only."""
    if actor.organisation_id is None:
        return []
    queues: list[Queue] = []
    kind = actor.organisation_kind
    if kind == OrgKind.PLASMA_STATION:
        queues += _station_queues(session, actor)
    elif kind == OrgKind.BLOOD_CENTRE:
        queues += _centre_queues(session, actor)
    elif kind == OrgKind.HOSPITAL:
        queues += _hospital_queues(session, actor)
    if actor.has_role(Role.ORG_ADMIN) and not actor.is_system:
        queues += _admin_queues(session, actor)
    return queues
