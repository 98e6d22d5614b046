"""Recall campaigns: from "O− will run short on 12 Dec" to the donors to call, and what came
of the calls.

A blood centre's latest forecast names the groups projected amber or red (``shortages``);
staff start a campaign for one (``start_campaign``, audited), and its list
(``campaign_donors``) holds the centre's donors of that group — and, for a red-cell shortage,
its O− donors, whose red cells any patient may receive — whom the rules let give today, the
nearest to the collecting site first (the donor's household region against the site's
designated area, or its authority's division), without those contacted in the last
``RECENTLY_CONTACTED_DAYS`` or already in this campaign. Contacts are logged against the
campaign; its return rate (``campaign_results``) is the share of the donors contacted who gave
at the organisation within ``RETURN_DAYS`` of their first contact. Authorities read the
results of their tree's organisations as counts; never a donor.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, Duty, visible_org_ids
from blood.analytics.models import DonorContact, ForecastSeries, RecallCampaign
from blood.analytics.service.recruitment import (
    RECALL,
    RECENTLY_CONTACTED_DAYS,
    last_contacts,
    may_give_today,
)
from blood.db import utcnow
from blood.donors import service as donors
from blood.donors.models import DesignatedArea, Donor
from blood.errors import Forbidden, NotFound, ValidationFailed
from blood.plasma.models import Collection
from blood.stock.models import COMPONENTS, GROUPS, BloodDonation

RETURN_DAYS = 30  # a contacted donor who gives within this many days came back
MAX_LIST = 2000  # donors read for one campaign list
OPEN_DAYS = 28  # a campaign is open this long (a forecast's horizon), then closes itself
READ_RESULTS = Duty((Role.REGISTRAR, Role.PHYSICIAN, Role.QUALITY, Role.ORG_ADMIN, Role.INSPECTOR))


@dataclass(frozen=True)
class Shortage:
    """A group the centre's latest forecast projects amber or red, and its open campaign."""

    component: str
    abo: str
    rhd: str
    band: str
    projected_on: date
    campaign: RecallCampaign | None


@dataclass(frozen=True)
class CampaignDonor:
    donor: Donor
    last_on: date
    nearness: int  # 3 in the site's area, 2 its city, 1 its province, 0 farther (``nearness``)
    universal: bool  # an O− donor on a red-cell list of another group


@dataclass(frozen=True)
class CampaignResult:
    campaign: RecallCampaign
    organisation: Organisation
    contacted: int  # donors
    booked: int  # donors whose last contact in the campaign was "booked"
    returned: int  # donors who gave within RETURN_DAYS of their first contact in it

    @property
    def return_rate(self) -> float | None:
        return self.returned / self.contacted if self.contacted else None


def _collecting(session: Session, actor: Actor) -> Organisation:
    RECALL.require(actor)
    return donors.require_collecting_org(session, actor)


def shortages(*, session: Session, actor: Actor) -> list[Shortage]:
    """The groups the organisation's latest forecast projects amber or red (a blood centre's;
    a plasma station has none), red first, each with its open campaign if there is one."""
    org = _collecting(session, actor)
    if org.kind != OrgKind.BLOOD_CENTRE:
        return []
    latest = session.exec(
        select(sa.func.max(ForecastSeries.made_at)).where(ForecastSeries.centre_id == org.id)
    ).one()
    if latest is None:
        return []
    series = session.exec(
        select(ForecastSeries).where(
            ForecastSeries.centre_id == org.id,
            ForecastSeries.made_at == latest,
            sa.or_(ForecastSeries.first_red.is_not(None), ForecastSeries.first_amber.is_not(None)),
        )
    ).all()
    campaigns = {(c.component, c.abo, c.rhd): c for c in open_campaigns(session, org)}
    found = [
        Shortage(
            s.component,
            s.abo,
            s.rhd,
            "red" if s.first_red else "amber",
            s.first_red or s.first_amber,
            campaigns.get((s.component, s.abo, s.rhd)),
        )
        for s in series
    ]
    return sorted(
        found,
        key=lambda s: (s.band != "red", COMPONENTS.index(s.component), s.projected_on, s.abo),
    )


def open_campaigns(session: Session, org: Organisation) -> list[RecallCampaign]:
    since = utcnow() - timedelta(days=OPEN_DAYS)
    return list(
        session.exec(
            select(RecallCampaign)
            .where(
                RecallCampaign.organisation_id == org.id,
                RecallCampaign.closed_at.is_(None),
                RecallCampaign.started_at > since,
            )
            .order_by(RecallCampaign.started_at.desc())
        ).all()
    )


def start_campaign(
    *, session: Session, actor: Actor, component: str, abo: str, rhd: str
) -> RecallCampaign:
    """Start a campaign for one group (audited). The group's projected shortage, if the
    latest forecast has one, is recorded with it; an open campaign of the same group is
    answered instead of a second one."""
    org = _collecting(session, actor)
    errors: dict[str, list[str]] = {}
    if component not in COMPONENTS:
        errors["component"] = ["unknown component"]
    if (abo, rhd) not in GROUPS:
        errors["abo"] = ["unknown group"]
    if errors:
        raise ValidationFailed(errors)
    for campaign in open_campaigns(session, org):
        if (campaign.component, campaign.abo, campaign.rhd) == (component, abo, rhd):
            return campaign
    shortage = next(
        (
            s
            for s in shortages(session=session, actor=actor)
            if (s.component, s.abo, s.rhd) == (component, abo, rhd)
        ),
        None,
    )
    campaign = RecallCampaign(
        organisation_id=org.id,
        component=component,
        abo=abo,
        rhd=rhd,
        reason="shortage" if shortage else "manual",
        band=shortage.band if shortage else None,
        projected_on=shortage.projected_on if shortage else None,
        started_by_id=actor.id if actor.kind == "user" else None,
    )
    session.add(campaign)
    session.flush()
    audit.record(
        session,
        actor,
        "recall.campaign_start",
        campaign,
        changes={"group": [None, f"{component} {abo}{rhd}"], "reason": [None, campaign.reason]},
        organisation=org,
    )
    return campaign


def get_campaign(*, session: Session, actor: Actor, campaign_id: int) -> RecallCampaign:
    """One of the organisation's own campaigns; another's is "not found"."""
    org = _collecting(session, actor)
    campaign = session.get(RecallCampaign, campaign_id)
    if campaign is None or campaign.organisation_id != org.id:
        raise NotFound()
    return campaign


def close_campaign(*, session: Session, actor: Actor, campaign_id: int) -> RecallCampaign:
    campaign = get_campaign(session=session, actor=actor, campaign_id=campaign_id)
    if campaign.closed_at is None:
        campaign.closed_at = utcnow()
        session.add(campaign)
        audit.record(session, actor, "recall.campaign_close", campaign, changes={})
    return campaign


def _site_prefixes(session: Session, org: Organisation) -> list[str]:
    """The division codes of the site (its designated area, else its authority's), without
    their trailing zero pairs: 330127, 3301, 33."""
    codes = list(
        session.exec(
            select(DesignatedArea.division_code).where(DesignatedArea.station_id == org.id)
        ).all()
    )
    if not codes and org.parent_id is not None:
        parent = session.get(Organisation, org.parent_id)
        codes = [parent.division_code] if parent and parent.division_code else []
    prefixes = []
    for code in codes:
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
        prefixes.append(code)
    return prefixes


def nearness(region: str, prefixes: list[str]) -> int:
    """3 when the donor's household region is in the site's area, 2 in the same city as it,
    1 in the same province, else 0."""
    best = 0
    for prefix in prefixes:
        if region.startswith(prefix):
            return 3
        if len(prefix) >= 4 and region[:4] == prefix[:4]:
            best = max(best, 2)
        elif region[:2] == prefix[:2]:
            best = max(best, 1)
    return best


def campaign_donors(
    *, session: Session, actor: Actor, campaign_id: int
) -> tuple[RecallCampaign, list[CampaignDonor]]:
    """The campaign's list: the organisation's donors of its group (and O− for red cells)
    whom the rules let give today, nearest to the site first, then those who gave longest
    ago; without the donors contacted recently or already in this campaign."""
    campaign = get_campaign(session=session, actor=actor, campaign_id=campaign_id)
    org = session.get(Organisation, campaign.organisation_id)
    groups = [(campaign.abo, campaign.rhd)]
    if campaign.component == "red_cells" and groups[0] != ("O", "-"):
        groups.append(("O", "-"))
    candidates = list(
        session.exec(
            select(Donor)
            .where(
                Donor.station_id == org.id,
                sa.or_(*(sa.and_(Donor.abo == a, Donor.rhd == r) for a, r in groups)),
            )
            .order_by(Donor.id)
            .limit(MAX_LIST)
        ).all()
    )
    contacts = last_contacts(session, org, [d.id for d in candidates])
    in_campaign = set(
        session.exec(
            select(DonorContact.donor_id).where(DonorContact.campaign_id == campaign.id)
        ).all()
    )
    recent = utcnow() - timedelta(days=RECENTLY_CONTACTED_DAYS)
    today = donors.local_today(org)
    prefixes = _site_prefixes(session, org)
    found = []
    for donor in candidates:
        contact = contacts.get(donor.id)
        if donor.id in in_campaign or (contact is not None and contact.contacted_at >= recent):
            continue
        last = may_give_today(session, org, donor, today, wanted=lambda _last: True)
        if last is not None:
            universal = (donor.abo, donor.rhd) != (campaign.abo, campaign.rhd)
            found.append(
                CampaignDonor(donor, last.on, nearness(donor.household_region, prefixes), universal)
            )
    found.sort(key=lambda d: (-d.nearness, d.universal, d.last_on, d.donor.id))
    return campaign, found


def _donations_after(session: Session, org: Organisation, donor_ids: list[int], since: datetime):
    """``{donor id: [donation times]}`` at the organisation from ``since`` on."""
    if org.kind == OrgKind.PLASMA_STATION:
        org_col, donor_col, at_col = (
            Collection.station_id,
            Collection.donor_id,
            Collection.started_at,
        )
    else:
        org_col, donor_col, at_col = (
            BloodDonation.centre_id,
            BloodDonation.donor_id,
            BloodDonation.collected_at,
        )
    found: dict[int, list[datetime]] = defaultdict(list)
    if donor_ids:
        for donor_id, at in session.execute(
            select(donor_col, at_col).where(
                org_col == org.id, donor_col.in_(donor_ids), at_col >= since
            )
        ):
            found[donor_id].append(at)
    return found


def may_read_results(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.organisation_kind in (*donors.COLLECTING_KINDS, OrgKind.AUTHORITY)
        and READ_RESULTS.allows(actor)
    )


def campaign_results(*, session: Session, actor: Actor) -> list[CampaignResult]:
    """Each campaign of the organisation (or, for an authority, of the collecting
    organisations of its tree): donors contacted, booked, and back within RETURN_DAYS."""
    if not may_read_results(actor):
        raise Forbidden()
    statement = select(RecallCampaign, Organisation).join(
        Organisation, Organisation.id == RecallCampaign.organisation_id
    )
    if actor.organisation_kind == OrgKind.AUTHORITY:
        statement = statement.where(RecallCampaign.organisation_id.in_(visible_org_ids(actor)))
    else:
        statement = statement.where(RecallCampaign.organisation_id == actor.organisation_id)
    rows = session.exec(statement.order_by(RecallCampaign.started_at.desc()).limit(200)).all()
    results = []
    for campaign, org in rows:
        contacts = session.exec(
            select(DonorContact)
            .where(DonorContact.campaign_id == campaign.id)
            .order_by(DonorContact.contacted_at)
        ).all()
        first: dict[int, datetime] = {}
        last_outcome: dict[int, str] = {}
        for contact in contacts:
            first.setdefault(contact.donor_id, contact.contacted_at)
            last_outcome[contact.donor_id] = contact.outcome
        since = min(first.values(), default=utcnow())
        given = _donations_after(session, org, list(first), since)
        returned = sum(
            1
            for donor_id, at in first.items()
            if any(at <= d <= at + timedelta(days=RETURN_DAYS) for d in given.get(donor_id, []))
        )
        booked = sum(1 for outcome in last_outcome.values() if outcome == "booked")
        results.append(CampaignResult(campaign, org, len(first), booked, returned))
    return results
