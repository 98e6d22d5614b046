"""The blood centre's laboratory: entering results, and its work list.

Per donation (by DIN) the laboratory confirms the ABO/RhD group and enters each marker of
``Settings.blood_lab_markers`` (default ALT, HBsAg, anti-HCV, anti-HIV, syphilis, NAT), one
sample or a pasted batch at a time; a result is entered once and never overwritten.

- A reactive marker discards every component of the donation the centre holds (reason
  ``reactive_test``), defers the donor permanently in the shared registry and opens the
  look-back (``donors.record_reactive_donation``). An ALT above ``Settings.blood_alt_max_u_l``
  discards them too (``test_out_of_range``), without a permanent deferral.
- A confirmed group is recorded by ``groups.confirm_group``: one that differs from the donor's
  recorded group is flagged, never applied quietly.
- What still stands between a donation and the release of its units is ``release``'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, func, select

from blood import audit, isbt128, settings
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.db import utcnow
from blood.deviations import REJECTED
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.errors import NotFound, ValidationFailed
from blood.inputs import ABO_GROUPS, RHD_TYPES
from blood.pagination import Page, PageRequest, fetch_page
from blood.stock.lifecycle import UnitState
from blood.stock.models import (
    MEASURED_MARKERS,
    PASSING_RESULTS,
    BloodDonation,
    BloodTestResult,
    Unit,
)
from blood.stock.service.groups import confirm_group
from blood.stock.service.markers import QUALITATIVE_VALUES, results_of
from blood.stock.service.organisations import acting_centre
from blood.stock.service.release import DonationStatus, donation_statuses
from blood.stock.service.units import discard_donation_units
from blood.validation_messages import describe_invalid_din

LAB_RESULTS = Duty((Role.LAB,))  # who enters the laboratory's results

# --- entering results ----------------------------------------------------------------------


@dataclass(frozen=True)
class LabInput:
    """One sample's results: the group and/or any markers (a value per marker code:
    ``negative``/``reactive``, ALT in U/L). What is not given is entered later."""

    din: str
    abo: str | None = None
    rhd: str | None = None
    results: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LabOutcome:
    donation: BloodDonation
    failed: list[str]  # markers found reactive or above their limit by this entry
    discarded: list[Unit]
    group_status: str | None


def _find_donation(session: Session, centre_id: int, text: str) -> BloodDonation:
    """The centre's donation with this DIN (its check character verified when given)."""
    try:
        din = isbt128.parse_din(text).din
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [describe_invalid_din(error)]}) from None
    donation = session.exec(
        select(BloodDonation).where(BloodDonation.din == din, BloodDonation.centre_id == centre_id)
    ).first()
    if donation is None:
        raise NotFound()
    return donation


def record_lab_results(
    *, session: Session, actor: Actor, results: list[LabInput]
) -> list[LabOutcome]:
    """One sample or a batch, all or nothing: every line is checked before anything is
    written, and the refusal names the line and the field."""
    LAB_RESULTS.require(actor)
    centre = acting_centre(session=session, actor=actor)
    config = settings.of(session)
    if not results:
        raise ValidationFailed({"results": [_("No results given.")]})
    errors: dict[str, list[str]] = {}
    donations: list[BloodDonation] = []
    seen: set[str] = set()
    for index, row in enumerate(results):
        prefix = f"results.{index}." if len(results) > 1 else ""
        try:
            donation = _find_donation(session, centre.id, row.din)
        except ValidationFailed as error:
            errors[f"{prefix}din"] = error.fields["din"]
            continue
        except NotFound:
            errors[f"{prefix}din"] = [_("No donation of this blood centre has this DIN.")]
            continue
        if donation.din in seen:
            errors[f"{prefix}din"] = [_("This DIN appears twice in the batch.")]
            continue
        seen.add(donation.din)
        recorded = results_of(session, [donation.id])[donation.id]
        given_group = row.abo is not None or row.rhd is not None
        if given_group:
            if row.abo not in ABO_GROUPS:
                errors[f"{prefix}abo"] = [_("A, B, O or AB.")]
            if row.rhd not in RHD_TYPES:
                errors[f"{prefix}rhd"] = [_("RhD is + or -.")]
            if donation.group_status is not None:
                errors[f"{prefix}abo"] = [
                    _(
                        "The group of this donation is already recorded; a repeat grouping "
                        "is recorded by the quality manager when resolving a discrepancy."
                    )
                ]
        for marker, value in row.results.items():
            key = f"{prefix}{marker}"
            if marker not in config.blood_lab_markers:
                errors[key] = [_("This laboratory does not report this marker.")]
            elif marker in recorded:
                errors[key] = [_("Already recorded for this DIN; results are not overwritten.")]
            elif marker in MEASURED_MARKERS:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    errors[key] = [_("A figure of 0 or more.")]
            elif value not in QUALITATIVE_VALUES:
                errors[key] = [_("Negative or reactive.")]
        if not given_group and not row.results:
            errors[f"{prefix}din"] = [_("No result given for this DIN.")]
        donations.append(donation)
    if errors:
        raise ValidationFailed(errors)

    outcomes = []
    now = utcnow()
    for row, donation in zip(results, donations, strict=True):
        before = audit.snapshot(donation, ["confirmed_abo", "confirmed_rhd", "group_status"])
        earlier = results_of(session, [donation.id])[donation.id]
        if row.abo is not None:
            confirm_group(session, actor, donation, row.abo, row.rhd, now)
        entered = {}
        for marker, value in row.results.items():
            if marker in MEASURED_MARKERS:
                limit = config.blood_alt_max_u_l
                result = BloodTestResult(
                    donation_id=donation.id,
                    centre_id=centre.id,
                    marker=marker,
                    result="above_limit" if float(value) > limit else "within_limit",
                    value=float(value),
                    limit_value=limit,
                    entered_by_id=actor.user_id,
                    entered_by=actor.name,
                    entered_at=now,
                )
            else:
                result = BloodTestResult(
                    donation_id=donation.id,
                    centre_id=centre.id,
                    marker=marker,
                    result=value,
                    entered_by_id=actor.user_id,
                    entered_by=actor.name,
                    entered_at=now,
                )
            session.add(result)
            entered[marker] = (
                result.result if result.value is None else [result.value, result.result]
            )
        audit.record(
            session,
            actor,
            "blood.lab_result",
            donation,
            before=before,
            changes={
                "din": [None, donation.din],
                "results": [None, entered],
                **audit.diff(
                    before,
                    audit.snapshot(donation, ["confirmed_abo", "confirmed_rhd", "group_status"]),
                ),
            },
            organisation=centre,
        )
        reactive = [m for m, r in row.results.items() if r == "reactive"]
        above = [
            m
            for m, v in row.results.items()
            if m in MEASURED_MARKERS and float(v) > config.blood_alt_max_u_l
        ]
        discarded: list[Unit] = []
        if reactive or above:
            session.flush()
            discarded = discard_donation_units(
                session=session,
                actor=actor,
                centre=centre,
                donation_id=donation.id,
                reason="reactive_test" if reactive else "test_out_of_range",
            )
        already_reactive = any(r.result == "reactive" for r in earlier.values())
        if reactive and not already_reactive:
            donors.record_reactive_donation(
                session=session,
                actor=actor,
                donor=session.get(Donor, donation.donor_id),
                din=donation.din,
                markers=reactive,
                organisation=centre,
            )
        outcomes.append(
            LabOutcome(
                donation=donation,
                failed=reactive + above,
                discarded=discarded,
                group_status=donation.group_status,
            )
        )
    return outcomes


# --- the laboratory's work list --------------------------------------------------------------


@dataclass(frozen=True)
class LabOverview:
    waiting: Page[DonationStatus]  # results still to enter
    discrepancies: Page[DonationStatus]  # groups to resolve


# A donation not yet split is listed for this long; after that only its waiting units keep
# it on the list (a donation whose units were released before the laboratory kept its
# results here, or expired untouched, is no work for the laboratory).
UNSPLIT_LISTED_DAYS = 14


def lab_overview(
    *,
    session: Session,
    actor: Actor,
    page: PageRequest | None = None,
    discrepancies_page: PageRequest | None = None,
) -> LabOverview:
    """The centre's donations whose results are not all in and that still matter (units
    waiting for tests, or collected lately and not yet split), oldest first; and those whose
    group differs from the donor's record. Each list one page at a time (``page``,
    ``discrepancies_page``; default: the first)."""
    centre = acting_centre(session=session, actor=actor)
    required = settings.of(session).blood_lab_markers
    has_pending = select(Unit.donation_id).where(
        Unit.state == UnitState.PENDING_TESTS, Unit.donation_id.is_not(None)
    )
    has_units = select(Unit.donation_id).where(Unit.donation_id.is_not(None))
    recent = utcnow() - timedelta(days=UNSPLIT_LISTED_DAYS)
    complete = (
        select(BloodTestResult.donation_id)
        .where(BloodTestResult.marker.in_(required))
        .group_by(BloodTestResult.donation_id)
        .having(func.count() >= len(required))
    )
    failed = select(BloodTestResult.donation_id).where(
        BloodTestResult.result.not_in(PASSING_RESULTS)
    )
    waiting = fetch_page(
        session,
        select(BloodDonation)
        .where(
            BloodDonation.centre_id == centre.id,
            (BloodDonation.group_status.is_(None)) | BloodDonation.id.not_in(complete),
            BloodDonation.id.not_in(failed),
            BloodDonation.deviation_status.is_(None) | (BloodDonation.deviation_status != REJECTED),
            BloodDonation.id.in_(has_pending)
            | (BloodDonation.id.not_in(has_units) & (BloodDonation.collected_at >= recent)),
        )
        .order_by(BloodDonation.collected_at, BloodDonation.id),
        page or PageRequest(),
    )
    discrepant = fetch_page(
        session,
        select(BloodDonation)
        .where(
            BloodDonation.centre_id == centre.id,
            BloodDonation.group_status == "discrepant",
        )
        .order_by(BloodDonation.collected_at, BloodDonation.id),
        discrepancies_page or PageRequest(),
    )
    statuses = donation_statuses(session=session, donations=waiting.items + discrepant.items)

    def of(found: Page[BloodDonation]) -> Page[DonationStatus]:
        return Page([statuses[d.id] for d in found.items], found.page, found.size, found.total)

    return LabOverview(waiting=of(waiting), discrepancies=of(discrepant))
