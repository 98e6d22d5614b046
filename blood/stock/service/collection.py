"""Collection at a blood centre: whole blood and apheresis platelets, and the component units
a donation is split into.

Whole blood is collected as 200, 300 or 400 mL. A volume within the configured tolerance of
one of them (``Settings.whole_blood_volume_tolerance``) is normal; outside it, the collection
still happened: it is recorded with its real volume and a deviation (the collector says why),
and nothing made from it is released until the quality manager accepts it.

A split is checked against the donation: each product is made from one collection method
(whole blood or apheresis, ``ProductCode.method``); the components together hold at most
``Settings.component_volume_ratio`` times the donation's volume (anticoagulant and additive
solution make them exceed the blood collected); a product made more than once from one
donation carries a distinct ISBT 128 division other than 00 on each part.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import audit, isbt128, settings
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.db import utcnow
from blood.deviations import OPEN, REJECTED
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.messages import describe
from blood.donors.models import Donor
from blood.errors import Conflict, NotFound, ValidationFailed
from blood.sequences import next_value
from blood.stock.models import (
    METHOD_OF_KIND,
    PASSING_RESULTS,
    VOLUME_DEVIATION,
    BloodDonation,
    BloodTestResult,
    Unit,
)
from blood.stock.service.organisations import acting_centre
from blood.stock.service.products import product, shelf_life

COLLECT = Duty((Role.COLLECTOR,))  # who collects blood
PRODUCE = Duty((Role.STOCK_CLERK, Role.LAB))  # who records the components made

WHOLE_BLOOD_VOLUMES = (200, 300, 400)
KINDS = tuple(METHOD_OF_KIND)


def blood_donations(session: Session, donor: Donor) -> list[rules.PastDonation]:
    """The donor's blood-centre donations, for the eligibility engine's history and the
    donor page (registered in ``donors.HISTORY_SOURCES`` when the package is imported), each
    with the centre where it was made."""
    rows = session.exec(
        select(
            BloodDonation.collected_at,
            BloodDonation.kind,
            BloodDonation.adverse_reaction,
            BloodDonation.centre_id,
            Organisation.timezone,
        )
        .join(Organisation, Organisation.id == BloodDonation.centre_id)
        .where(BloodDonation.donor_id == donor.id)
    ).all()
    return [
        rules.PastDonation(
            on=at.astimezone(ZoneInfo(tz)).date(),
            kind=rules.DonationKind(kind),
            adverse_reaction=bool(reaction),
            organisation_id=centre_id,
        )
        for at, kind, reaction, centre_id, tz in rows
    ]


def volume_deviation(volume_ml: int, tolerance: float) -> dict[str, Any] | None:
    """The facts of a whole-blood volume outside 200/300/400 mL ± ``tolerance`` (a share,
    0.10 for ± 10 %), or None when the volume is normal."""
    nominal = min(WHOLE_BLOOD_VOLUMES, key=lambda v: abs(v - volume_ml))
    if abs(volume_ml - nominal) <= nominal * tolerance:
        return None
    return {
        "actual_ml": volume_ml,
        "nearest_ml": nominal,
        "allowed_ml": list(WHOLE_BLOOD_VOLUMES),
        "tolerance_percent": round(tolerance * 100, 1),
    }


@dataclass(frozen=True)
class BloodDonationInput:
    donor: str  # card number or resident ID
    kind: str  # whole_blood | platelets
    volume_ml: int
    screening: rules.Screening
    adverse_reaction: str | None = None
    # Why the volume is outside 200/300/400 mL: required then, ignored otherwise.
    deviation_reason: str | None = None


def record_blood_donation(
    *, session: Session, actor: Actor, data: BloodDonationInput
) -> BloodDonation:
    """Collect whole blood or apheresis platelets; the same engine and deferral registry
    decide first (profile cn-whole-blood), and a refusal lists every reason. A whole-blood
    volume outside 200/300/400 mL (± the tolerance) is recorded as a deviation, with the
    collector's reason."""
    COLLECT.require(actor)
    centre = acting_centre(session=session, actor=actor)
    config = settings.of(session)
    try:
        donor = donors.find_donor(session=session, actor=actor, query=data.donor)
    except donors.RegisteredElsewhere:
        # The one-station rule is about plasma: a plasma station's donor may still give
        # whole blood at a blood centre, identified by the resident ID shown at the visit.
        donor = donors.find_registered(session=session, query=data.donor)
    except NotFound:
        raise NotFound(_l("No donor with this resident ID or card number here.")) from None
    errors: dict[str, list[str]] = {}
    deviation = None
    reason = (data.deviation_reason or "").strip() or None
    if data.kind not in KINDS:
        errors["kind"] = [_("Whole blood or apheresis platelets.")]
    elif not 0 < data.volume_ml <= config.collection_max_ml:
        # Not a deviation: no collection holds this much; a typing error.
        errors["volume_ml"] = [
            _("Between 1 and %(max)d mL: check the figure.", max=config.collection_max_ml)
        ]
    elif data.kind == "whole_blood":
        deviation = volume_deviation(data.volume_ml, config.whole_blood_volume_tolerance)
        if deviation and not reason:
            errors["deviation_reason"] = [
                _(
                    "%(volume)d mL is outside 200, 300 or 400 mL (± %(tolerance)s %%): say why; "
                    "the collection is recorded as a deviation for the quality manager.",
                    volume=data.volume_ml,
                    tolerance=f"{deviation['tolerance_percent']:g}",
                )
            ]
    if errors:
        raise ValidationFailed(errors)
    today = donors.local_today(centre)
    decision = rules.decide(
        donors.profile_for(session, centre),
        rules.DonorFacts(sex=donor.sex, birth_date=donor.birth_date),
        data.screening,
        donors.donor_history(session, donor),
        today,
        rules.DonationKind(data.kind),
    )
    if not decision.eligible:
        raise ValidationFailed(
            {"eligibility": [describe(r) for r in decision.reasons]},
            _l("The donor may not donate today."),
        )
    if not centre.facility_id:
        raise Conflict(_l("This blood centre has no ISBT 128 facility identification number."))
    sequence = next_value(session, f"din:{centre.facility_id}:{today.year % 100:02d}")
    din = isbt128.make_din(centre.facility_id, today.year, sequence)
    donation = BloodDonation(
        donor_id=donor.id,
        centre_id=centre.id,
        din=din,
        check_character=isbt128.check_character(din),
        kind=data.kind,
        volume_ml=data.volume_ml,
        collected_at=utcnow(),
        collected_by_id=actor.user_id,
        adverse_reaction=data.adverse_reaction,
        abo=donor.abo,
        rhd=donor.rhd,
        screening={k: v for k, v in vars(data.screening).items() if isinstance(v, int | float)},
    )
    if deviation:
        donation.deviation = VOLUME_DEVIATION
        donation.deviation_facts = deviation
        donation.deviation_reason = reason
        donation.deviation_status = OPEN
    session.add(donation)
    audit.record(session, actor, "blood.collect", donation, organisation=centre)
    return donation


def get_donation(*, session: Session, actor: Actor, donation_id: int) -> BloodDonation:
    """A donation collected by the actor's blood centre (not found otherwise)."""
    centre = acting_centre(session=session, actor=actor)
    donation = session.get(BloodDonation, donation_id)
    if donation is None or donation.centre_id != centre.id:
        raise NotFound()
    return donation


def donation_units(*, session: Session, donation: BloodDonation) -> list[Unit]:
    """The component units produced from the donation."""
    return list(
        session.exec(select(Unit).where(Unit.donation_id == donation.id).order_by(Unit.id)).all()
    )


@dataclass(frozen=True)
class ComponentInput:
    product_code: str
    volume_ml: int
    division: str = "00"
    expires_at: datetime | None = None  # default: collection + the product's shelf life


def _failed_markers(session: Session, donation: BloodDonation) -> list[str]:
    return list(
        session.exec(
            select(BloodTestResult.marker).where(
                BloodTestResult.donation_id == donation.id,
                BloodTestResult.result.not_in(PASSING_RESULTS),
            )
        ).all()
    )


def produce_components(
    *, session: Session, actor: Actor, donation_id: int, components: list[ComponentInput]
) -> list[Unit]:
    """Split a donation into units (pending tests), each DIN + product code + division.

    Each product must be made from this kind of donation; all the donation's components
    together hold at most ``component_volume_ratio`` × its volume; a product made more than
    once needs a distinct division other than 00 on each part. The units carry the
    laboratory's confirmed group, else the donor's recorded one (unknown until confirmed)."""
    PRODUCE.require(actor)
    centre = acting_centre(session=session, actor=actor)
    donation = get_donation(session=session, actor=actor, donation_id=donation_id)
    if donation.deviation_status == REJECTED:
        raise Conflict(
            _l("The quality manager rejected this donation's deviation: nothing is made from it.")
        )
    if _failed_markers(session, donation):
        raise Conflict(_l("A laboratory result of this donation failed: nothing is made from it."))
    config = settings.of(session)
    method = METHOD_OF_KIND[donation.kind]
    existing = donation_units(session=session, donation=donation)
    divisions: dict[str, list[str]] = defaultdict(list)
    for unit in existing:
        divisions[unit.product_code].append(unit.division)
    errors: dict[str, list[str]] = {}
    units = []
    products = []
    for index, item in enumerate(components):
        key = f"components.{index}"
        code = product(session, item.product_code)
        products.append(code)
        if code is None:
            errors[f"{key}.product_code"] = [
                _("Unknown product code %(code)s.", code=item.product_code)
            ]
            continue
        if code.method != method:
            errors[f"{key}.product_code"] = [
                _(
                    "%(code)s is made from apheresis collections, not from whole blood.",
                    code=code.code,
                )
                if code.method == "apheresis"
                else _(
                    "%(code)s is made from whole blood, not from an apheresis collection.",
                    code=code.code,
                )
            ]
        if not (len(item.division) == 2 and item.division.isalnum()):
            errors[f"{key}.division"] = [_("A division is 2 characters, 00 when undivided.")]
        if item.volume_ml <= 0:
            errors[f"{key}.volume_ml"] = [_("Must be more than 0.")]
        expires = item.expires_at or donation.collected_at + shelf_life(session, code)
        if expires <= donation.collected_at:
            errors[f"{key}.expires_at"] = [_("The expiry must be after the collection.")]
        divisions[code.code].append(item.division)
        abo, rhd = donation.unit_group
        units.append(
            Unit(
                din=donation.din,
                check_character=donation.check_character,
                product_code=code.code,
                division=item.division,
                component=code.component,
                abo=abo,
                rhd=rhd,
                volume_ml=item.volume_ml,
                collected_at=donation.collected_at,
                expires_at=expires,
                owner_id=centre.id,
                centre_id=centre.id,
                donation_id=donation.id,
            )
        )
    # ISBT 128 divisions: one undivided unit (00) per product, or distinct divided parts.
    for index, (item, code) in enumerate(zip(components, products, strict=True)):
        if code is None or f"components.{index}.product_code" in errors:
            continue
        made = divisions[code.code]
        if made.count(item.division) > 1:
            errors[f"components.{index}.product_code"] = [
                _("This component already exists for this DIN.")
            ]
        elif len(made) > 1 and "00" in made:
            errors[f"components.{index}.division"] = [
                _(
                    "%(code)s is made more than once from this donation: give each part its "
                    "own division other than 00 (A0, B0 …).",
                    code=code.code,
                )
            ]
    if not components:
        errors["components"] = [_("Give at least one component.")]
    total = sum(u.volume_ml for u in existing) + sum(max(0, c.volume_ml) for c in components)
    most = donation.volume_ml * config.component_volume_ratio
    if components and total > most:
        errors.setdefault("components", []).append(
            _(
                "The components total %(total)d mL: more than %(most)d mL, %(ratio)s × the "
                "donation's %(volume)d mL. Check the volumes.",
                total=total,
                most=int(most),
                ratio=f"{config.component_volume_ratio:g}",
                volume=donation.volume_ml,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    for unit in units:
        session.add(unit)
        audit.record(session, actor, "unit.produce", unit, organisation=centre)
    return units
