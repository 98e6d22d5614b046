"""The recruitment part of the analytics demo, relative to the day it is loaded:

- PS-CHUNAN's registrar has already called one lapsed donor today (so the recall list shows
  the rest, and the activity log the call);
- ZJ-BC has three donors who last gave whole blood eight to ten months ago (two O−, one
  A−), so a red-cell campaign started from a projected shortage has donors to call;
- ZJ-BC ran a campaign a month ago: four donors contacted, two of whom came back within
  the return window (the donations the stock demo wrote), so the results show a rate.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select
from stdnum.cn import ric

from blood.accounts.models import Organisation, User
from blood.accounts.service import actor_for_user
from blood.analytics.models import DonorContact, RecallCampaign
from blood.db import utcnow
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.stock.models import BloodDonation

LAPSED_AT_CENTRE = (("O", "-", 240, "韩冰"), ("O", "-", 300, "冯雪"), ("A", "-", 270, "曹宁"))
PAST_CAMPAIGN_DAYS = 30  # started this many days ago, closed a week later


def load(session: Session) -> None:
    users = {u.username: u for u in session.exec(select(User)).all()}
    if "chunan.registrar" in users:
        _chunan_call(session, actor_for_user(session, users["chunan.registrar"]))
    centre = session.exec(select(Organisation).where(Organisation.code == "ZJ-BC")).first()
    loaded = (
        centre is not None
        and session.exec(
            select(RecallCampaign.id).where(RecallCampaign.organisation_id == centre.id)
        ).first()
    )
    if centre is not None and not loaded and {"bc.collector", "bc.quality"} <= set(users):
        _lapsed_at_centre(session, centre, actor_for_user(session, users["bc.collector"]))
        _past_campaign(session, centre, users["bc.quality"])


def _chunan_call(session: Session, actor) -> None:
    from blood.analytics.service.recruitment import lapsed_donors, record_contact

    rows = lapsed_donors(session=session, actor=actor)
    if len(rows) > 1:
        record_contact(
            session=session, actor=actor, donor_id=rows[-1].donor.id, outcome="booked",
            note="下周二上午来站",
        )  # fmt: skip


def _lapsed_at_centre(session: Session, centre: Organisation, registrar) -> None:
    from blood.demo_stock import _past_donation

    today = donors.local_today(centre)
    collector = session.get(User, registrar.id)
    for serial, (abo, rhd, days, name) in enumerate(LAPSED_AT_CENTRE, start=901):
        body = f"330106{date(today.year - 30 - serial % 7, 3, 1 + serial % 27):%Y%m%d}{serial}"
        try:
            donor = donors.register_donor(
                session=session,
                actor=registrar,
                data=donors.DonorRegistration(
                    resident_id=body + ric.calc_check_digit(body + "0"),
                    name=name,
                    abo=abo,
                    rhd=rhd,
                    phone=f"1380571{serial:04d}",
                ),
            )
        except donors.AlreadyRegistered:
            continue  # an earlier load wrote them
        at = utcnow() - timedelta(days=days)
        donor.registered_at = at - timedelta(minutes=30)
        _past_donation(session, centre, donor, "whole_blood", at, collector)


def _past_campaign(session: Session, centre: Organisation, quality: User) -> None:
    """A month-old O+ campaign: two donors who gave after the call (the stock demo's
    donations of the last weeks), two who did not (they had given before it began)."""
    now = utcnow()
    started = now - timedelta(days=PAST_CAMPAIGN_DAYS)
    rows = session.exec(
        select(Donor.id, BloodDonation.collected_at)
        .join(BloodDonation, BloodDonation.donor_id == Donor.id)
        .where(Donor.station_id == centre.id, Donor.abo == "O", Donor.rhd == "+")
        .order_by(BloodDonation.collected_at)
    ).all()
    after = [
        (d, at) for d, at in rows if started + timedelta(days=3) < at < now - timedelta(days=3)
    ]
    before = [(d, at) for d, at in rows if at < started]
    if len(after) < 2 or len(before) < 2:
        return
    campaign = RecallCampaign(
        organisation_id=centre.id,
        component="red_cells",
        abo="O",
        rhd="+",
        reason="shortage",
        band="amber",
        projected_on=(started + timedelta(days=6)).date(),
        started_at=started,
        started_by_id=quality.id,
        closed_at=started + timedelta(days=7),
    )
    session.add(campaign)
    session.flush()
    contacts = [(after[0], "booked", 2), (after[1], "called", 1)]
    contacts += [(before[0], "declined", 0), (before[1], "unreachable", 0)]
    for (donor_id, gave_at), outcome, days_before in contacts:
        at = gave_at - timedelta(days=days_before) if days_before else started + timedelta(hours=3)
        session.add(
            DonorContact(
                donor_id=donor_id,
                organisation_id=centre.id,
                outcome=outcome,
                contacted_at=max(at, started + timedelta(hours=1)),
                contacted_by_id=quality.id,
                campaign_id=campaign.id,
            )
        )
