"""Read functions that fill the stock pages with everything they show, so the views make one
call and the templates ask no questions of their own (who may restock, what blocks release)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import User
from blood.accounts.scoping import Actor, DutyView
from blood.db import utcnow
from blood.pagination import Page, PageRequest
from blood.stock.models import (
    BloodDonation,
    ProductCode,
    TemperatureExcursion,
    Unit,
)
from blood.stock.service.collection import PRODUCE, donation_units
from blood.stock.service.groups import RESOLVE_GROUP
from blood.stock.service.products import product_codes
from blood.stock.service.release import (
    RELEASE,
    DonationStatus,
    ReleaseOverview,
    donation_status,
    release_overview,
)
from blood.stock.service.unit_actions import DISCARD
from blood.stock.service.units import (
    UnitListQuery,
    live_units,
    may_restock,
    open_excursions,
    own_units,
)


def volume_tolerance_percent(*, session: Session) -> str:
    """The whole-blood volume tolerance as the collection form states it ("10")."""
    return f"{settings.of(session).whole_blood_volume_tolerance * 100:g}"


@dataclass(frozen=True)
class DonationPage:
    units: list[Unit]
    products: list[ProductCode]
    status: DonationStatus
    collected_by: str | None
    deviation_decided_by: str | None
    group_resolved_by: str | None
    can_resolve_group: bool
    component_ratio: str  # the most the components may hold, × the donation's volume
    produce: DutyView  # whether the reader records components (else who does)


def donation_page(*, session: Session, actor: Actor, donation: BloodDonation) -> DonationPage:
    """A donation's page: its components, the laboratory's results and what blocks release,
    its deviation, and the product codes its kind may be split into."""
    method = "apheresis" if donation.kind == "platelets" else "whole_blood"
    ids = {
        donation.collected_by_id,
        donation.deviation_decided_by_id,
        donation.group_resolved_by_id,
    }
    ids.discard(None)
    names = (
        dict(session.exec(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return DonationPage(
        units=donation_units(session=session, donation=donation),
        products=[p for p in product_codes(session=session) if p.method == method],
        status=donation_status(session=session, donation=donation),
        collected_by=names.get(donation.collected_by_id),
        deviation_decided_by=names.get(donation.deviation_decided_by_id),
        group_resolved_by=names.get(donation.group_resolved_by_id),
        can_resolve_group=donation.group_status == "discrepant" and RESOLVE_GROUP.allows(actor),
        component_ratio=f"{settings.of(session).component_volume_ratio:g}",
        produce=PRODUCE.for_actor(actor),
    )


@dataclass(frozen=True)
class UnitsPage:
    listed: Page[Unit]
    release: ReleaseOverview
    excursions: dict[int, TemperatureExcursion] = field(default_factory=dict)
    restockable: set[int] = field(default_factory=set)
    may_release: bool = False
    may_discard: bool = False
    releaser: DutyView | None = None  # who releases, for those who may not
    near_expiry: set[int] = field(default_factory=set)  # expiring within NEAR_EXPIRY_HOURS


NEAR_EXPIRY_HOURS = 72


def units_page(
    *, session: Session, actor: Actor, page: PageRequest, query: UnitListQuery | None = None
) -> UnitsPage:
    """The units page of a blood centre or hospital: a page of its live units, the open
    temperature excursions among them, which it may restock, and (a centre) what may be
    released."""
    listed = live_units(session=session, actor=actor, page=page, query=query)
    units = listed.items
    soon = utcnow() + timedelta(hours=NEAR_EXPIRY_HOURS)
    return UnitsPage(
        listed=listed,
        release=release_overview(session=session, actor=actor),
        excursions=open_excursions(session=session, units=units),
        restockable={u.id for u in units if may_restock(session=session, actor=actor, unit=u)},
        may_release=RELEASE.allows(actor),
        releaser=RELEASE.for_actor(actor),
        may_discard=DISCARD.allows(actor),
        near_expiry={u.id for u in units if u.expires_at <= soon},
    )


def unit_labels(*, session: Session, actor: Actor, unit_ids: list[int]) -> list[str]:
    """The labels of the actor's units among these (what a confirmation step lists)."""
    return [u.label for u in own_units(session=session, actor=actor, unit_ids=unit_ids)]
