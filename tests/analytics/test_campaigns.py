"""Recall campaigns: started from a projected shortage, a list of the group's donors (and O−
for red cells) who may give today, an audited phone look-up, contacts against the campaign,
and the return rate — an authority's as counts of its tree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from blood.analytics.models import DonorContact, ForecastSeries, RecallCampaign
from blood.analytics.service import campaigns, recruitment
from blood.audit import AuditEvent
from blood.demo_stock import _past_donation
from blood.errors import Forbidden, NotFound
from tests.conftest import csrf_token_of, login
from tests.helpers import as_user, register

NOW = datetime.now(UTC)


def _forecast(session, world, *, abo="O", rhd="+", red_in=5):
    session.add(
        ForecastSeries(
            centre_id=world.org("BC").id,
            made_at=NOW - timedelta(hours=3),
            component="red_cells",
            abo=abo,
            rhd=rhd,
            method="seasonal_naive",
            first_day=NOW.date(),
            history_days=60,
            first_amber=NOW.date() + timedelta(days=red_in - 2),
            first_red=NOW.date() + timedelta(days=red_in),
        )
    )
    session.flush()


def _centre_donor(session, world, serial, abo, rhd, days_ago, phone=None):
    donor = register(
        session, world, serial=serial, username="bc.collector", abo=abo, rhd=rhd, phone=phone
    )
    if days_ago is not None:
        _past_donation(
            session,
            world.org("BC"),
            donor,
            "whole_blood",
            NOW - timedelta(days=days_ago),
            world.users["bc.collector"],
        )
    return donor


def _donors(session, world):
    """O+ lapsed 200 days, O− 250 days (any patient's red cells), O+ who gave 30 days ago
    (too soon), A+ lapsed (another group)."""
    return {
        "o_pos": _centre_donor(session, world, 501, "O", "+", 200, phone="13905710001"),
        "o_neg": _centre_donor(session, world, 503, "O", "-", 250),
        "recent": _centre_donor(session, world, 505, "O", "+", 30),
        "a_pos": _centre_donor(session, world, 507, "A", "+", 200),
    }


def test_a_projected_shortage_starts_one_campaign_with_its_donors(app, session, world):
    with app.app_context():
        _forecast(session, world)
        people = _donors(session, world)
        actor = as_user(session, world, "bc.collector")
        [shortage] = campaigns.shortages(session=session, actor=actor)
        assert (shortage.abo, shortage.rhd, shortage.band) == ("O", "+", "red")
        campaign = campaigns.start_campaign(
            session=session, actor=actor, component="red_cells", abo="O", rhd="+"
        )
        assert campaign.reason == "shortage" and campaign.projected_on == shortage.projected_on
        again = campaigns.start_campaign(
            session=session, actor=actor, component="red_cells", abo="O", rhd="+"
        )
        assert again.id == campaign.id  # one open campaign per group
        assert campaigns.shortages(session=session, actor=actor)[0].campaign.id == campaign.id
        _campaign, rows = campaigns.campaign_donors(
            session=session, actor=actor, campaign_id=campaign.id
        )
        assert [r.donor.id for r in rows] == [people["o_pos"].id, people["o_neg"].id]
        assert [r.universal for r in rows] == [False, True]
        recruitment.record_contact(
            session=session,
            actor=actor,
            donor_id=people["o_pos"].id,
            outcome="booked",
            campaign_id=campaign.id,
        )
        _campaign, rows = campaigns.campaign_donors(
            session=session, actor=actor, campaign_id=campaign.id
        )
        assert [r.donor.id for r in rows] == [people["o_neg"].id]
        started = session.exec(
            select(AuditEvent).where(AuditEvent.action == "recall.campaign_start")
        ).one()
        assert started.changes["reason"] == [None, "shortage"]
        # A group not projected short is a campaign started by hand.
        manual = campaigns.start_campaign(
            session=session, actor=actor, component="platelets", abo="A", rhd="+"
        )
        assert manual.reason == "manual" and manual.band is None


def test_the_site_comes_first(app):
    site = ["330127"]
    assert campaigns.nearness("330127", site) == 3
    assert campaigns.nearness("330106", site) == 2
    assert campaigns.nearness("330302", site) == 1
    assert campaigns.nearness("110101", site) == 0
    assert campaigns.nearness("330106", ["3301"]) == 3  # a city-wide area


def test_a_phone_look_up_is_one_audited_action(app, session, world):
    with app.app_context():
        people = _donors(session, world)
        actor = as_user(session, world, "bc.collector")
        assert (
            recruitment.reveal_phone(session=session, actor=actor, donor_id=people["o_pos"].id)
            == "13905710001"
        )
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "donor.phone_reveal")
        ).all()
        assert event.entity_id == str(people["o_pos"].id)
        assert "13905710001" not in str(event.changes)
        with pytest.raises(NotFound):  # another organisation's donor
            recruitment.reveal_phone(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                donor_id=people["o_pos"].id,
            )
        with pytest.raises(Forbidden):  # a stock clerk recalls no one
            recruitment.reveal_phone(
                session=session,
                actor=as_user(session, world, "bc.clerk"),
                donor_id=people["o_pos"].id,
            )


def test_the_return_rate_and_who_reads_it(app, session, world):
    with app.app_context():
        actor = as_user(session, world, "bc.collector")
        came_back = _centre_donor(session, world, 511, "O", "+", None)
        stayed_away = _centre_donor(session, world, 513, "O", "+", None)
        campaign = campaigns.start_campaign(
            session=session, actor=actor, component="red_cells", abo="O", rhd="+"
        )
        campaign.started_at = NOW - timedelta(days=20)
        for donor, outcome in ((came_back, "booked"), (stayed_away, "declined")):
            session.add(
                DonorContact(
                    donor_id=donor.id,
                    organisation_id=world.org("BC").id,
                    outcome=outcome,
                    contacted_at=NOW - timedelta(days=19),
                    campaign_id=campaign.id,
                )
            )
        _past_donation(
            session,
            world.org("BC"),
            came_back,
            "whole_blood",
            NOW - timedelta(days=12),
            world.users["bc.collector"],
        )
        session.flush()
        [mine] = campaigns.campaign_results(session=session, actor=actor)
        assert (mine.contacted, mine.booked, mine.returned) == (2, 1, 1)
        assert mine.return_rate == pytest.approx(0.5)
        [province] = campaigns.campaign_results(
            session=session, actor=as_user(session, world, "p.inspector")
        )
        assert province.returned == 1 and province.organisation.code == "BC"
        assert (
            campaigns.campaign_results(
                session=session, actor=as_user(session, world, "hz.inspector")
            )
            == []
        )  # BC is not in Hangzhou's tree
        with pytest.raises(Forbidden):
            campaigns.campaign_results(
                session=session, actor=as_user(session, world, "hhz.officer")
            )
        with pytest.raises(NotFound):  # another organisation's campaign
            campaigns.campaign_donors(
                session=session,
                actor=as_user(session, world, "sca.registrar"),
                campaign_id=campaign.id,
            )


def test_the_pages(app, client, session, world):
    with app.app_context():
        _forecast(session, world)
        people = _donors(session, world)
        session.commit()
    login(client, "bc.collector")
    page = client.get("/analytics/recall").get_data(as_text=True)
    assert 'data-shortage="red_cells-O+"' in page
    token = csrf_token_of(page)
    started = client.post(
        "/analytics/recall/campaigns",
        data={"csrf_token": token, "component": "red_cells", "abo": "O", "rhd": "+"},
    )
    assert started.status_code == 302
    campaign_url = started.location
    campaign_id = int(campaign_url.rsplit("/", 1)[1])
    page = client.get(campaign_url).get_data(as_text=True)
    assert f'data-donor="{people["o_pos"].id}"' in page and "139****0001" in page
    assert "13905710001" not in page  # masked until looked up
    shown = client.post(
        f"/analytics/recall/{people['o_pos'].id}/phone",
        data={"csrf_token": token, "campaign_id": campaign_id},
    )
    assert shown.status_code == 200 and "13905710001" in shown.get_data(as_text=True)
    logged = client.post(
        f"/analytics/recall/{people['o_pos'].id}/contact",
        data={"csrf_token": token, "campaign_id": campaign_id, "outcome": "shouted"},
    )
    assert logged.status_code == 422  # the message beside the form, nothing written
    logged = client.post(
        f"/analytics/recall/{people['o_pos'].id}/contact",
        data={"csrf_token": token, "campaign_id": campaign_id, "outcome": "called"},
    )
    assert logged.status_code == 302 and logged.location.endswith(campaign_url)
    results = client.get("/analytics/campaigns").get_data(as_text=True)
    assert f'data-campaign="{campaign_id}"' in results
    inspector = app.test_client()
    login(inspector, "p.inspector")
    results = inspector.get("/analytics/campaigns").get_data(as_text=True)
    assert f'data-campaign="{campaign_id}"' in results and people["o_pos"].name not in results
    assert inspector.get(campaign_url).status_code == 403  # an authority lists no donor
    with app.app_context():
        session.expire_all()
        assert session.get(RecallCampaign, campaign_id).reason == "shortage"
        [contact] = session.exec(select(DonorContact)).all()
        assert (contact.campaign_id, contact.outcome) == (campaign_id, "called")
