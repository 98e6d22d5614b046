"""A blood centre's queues: the desk, the laboratory, quality, stock and orders."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.roles import Role
from blood.accounts.scoping import Actor
from blood.core.queues.common import (
    FIRST_ROWS,
    URGENCY_ORDER,
    URGENCY_WORDS,
    Queue,
    Row,
    count,
    expiring,
    local_day,
)
from blood.donors.models import Donor
from blood.stock import service as stock
from blood.stock.models import BloodDonation, BloodTestResult, Order
from blood.stock.service.markers import lab_markers, marker_label


def centre_desk(session: Session, actor: Actor) -> list[Queue]:
    """The donor side of a blood centre's day: registered, collected, reactions to follow up.
    (A blood centre screens at collection: there is no separate screening visit.)"""
    centre = stock.acting_centre(session=session, actor=actor)
    start, end = local_day(centre)
    queues: list[Queue] = []
    if actor.has_role(Role.REGISTRAR):
        registered = select(Donor.id).where(
            Donor.station_id == centre.id, Donor.registered_at >= start, Donor.registered_at < end
        )
        queues.append(
            Queue(
                "registered",
                str(_l("Donors registered today")),
                count(session, registered),
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
                count(session, today),
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
                count(session, reactions),
                None,
                rows,
            )
        )
    return queues


def centre_quality(session: Session, actor: Actor) -> list[Queue]:
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
            count(session, discrepant),
            None,
        ),
    ]


def centre_queues(session: Session, actor: Actor) -> list[Queue]:
    queues: list[Queue] = []
    if actor.has_role(Role.REGISTRAR, Role.PHYSICIAN, Role.COLLECTOR):
        queues += centre_desk(session, actor)
    if actor.has_role(Role.QUALITY):
        queues += centre_quality(session, actor)
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
            Queue("orders", str(_l("Open orders")), count(session, statement), "stock.orders", rows)
        )
    if actor.has_role(Role.LAB):
        queues.append(centre_lab(session, actor))
    if actor.has_role(Role.QUALITY):
        open_deviations = select(BloodDonation.id).where(
            BloodDonation.centre_id == actor.organisation_id,
            BloodDonation.deviation_status == "open",
        )
        queues.append(
            Queue(
                "deviations",
                str(_l("Deviations to decide")),
                count(session, open_deviations),
                "stock.deviations",
            )
        )
    if actor.has_role(Role.STOCK_CLERK, Role.QUALITY):
        queues.append(expiring(session, actor))
    return queues


def centre_lab(session: Session, actor: Actor) -> Queue:
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
