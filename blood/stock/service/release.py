"""The release of tested units, and what stands between a donation and release.

A unit is released only when every required marker is negative (ALT within its limit), the
group is confirmed (or its discrepancy resolved), and the donation has no deviation that is
open or rejected. ``release_tested`` refuses the whole request otherwise, and says for each
unit why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood import settings
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.db import utcnow
from blood.deviations import OPEN, REJECTED
from blood.errors import NotFound, ValidationFailed
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import PASSING_RESULTS, BloodDonation, BloodTestResult, Unit
from blood.stock.service.markers import marker_label, results_of
from blood.stock.service.organisations import CENTRES, acting_centre
from blood.stock.service.units import DISCARD_REASONS, STATE_WORDS, transition

RELEASE = Duty((Role.QUALITY, Role.LAB))  # who releases tested units

# --- what stands between a donation and release --------------------------------------------


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str


@dataclass(frozen=True)
class DonationStatus:
    """A donation as the laboratory and the release see it."""

    donation: BloodDonation
    results: dict[str, BloodTestResult]
    required: tuple[str, ...]
    blockers: list[Blocker]

    @property
    def missing(self) -> list[str]:
        return [m for m in self.required if m not in self.results]

    @property
    def failed(self) -> list[str]:
        return [m for m, r in self.results.items() if r.result not in PASSING_RESULTS]

    @property
    def ready(self) -> bool:
        return not self.blockers


def _group_text(abo: str | None, rhd: str | None) -> str:
    return f"{abo}{rhd}" if abo and rhd else _("unknown group")


def _blockers(
    donation: BloodDonation, results: dict[str, BloodTestResult], required: tuple[str, ...]
) -> list[Blocker]:
    found = []
    if not results and donation.group_status is None:
        found.append(Blocker("no_results", _("No laboratory results yet.")))
    else:
        missing = [marker_label(m) for m in required if m not in results]
        if missing:
            found.append(
                Blocker(
                    "markers_missing",
                    _("Results missing: %(markers)s.", markers=", ".join(missing)),
                )
            )
        reactive = [marker_label(m) for m, r in results.items() if r.result == "reactive"]
        if reactive:
            found.append(
                Blocker("reactive", _("Reactive: %(markers)s.", markers=", ".join(reactive)))
            )
        above = [marker_label(m) for m, r in results.items() if r.result == "above_limit"]
        if above:
            found.append(
                Blocker("above_limit", _("Above its limit: %(markers)s.", markers=", ".join(above)))
            )
        if donation.group_status is None:
            found.append(
                Blocker(
                    "group_not_confirmed",
                    _("ABO/RhD group not yet confirmed by the laboratory."),
                )
            )
    if donation.group_status == "discrepant":
        found.append(
            Blocker(
                "group_discrepancy",
                _(
                    "The laboratory found %(confirmed)s, the donor's record says %(recorded)s: "
                    "the quality manager must resolve this first.",
                    confirmed=_group_text(donation.confirmed_abo, donation.confirmed_rhd),
                    recorded=_group_text(donation.abo, donation.rhd),
                ),
            )
        )
    if donation.deviation_status == OPEN:
        found.append(
            Blocker("deviation_open", _("Collection deviation waiting for the quality manager."))
        )
    elif donation.deviation_status == REJECTED:
        found.append(
            Blocker(
                "deviation_rejected", _("Collection deviation rejected by the quality manager.")
            )
        )
    return found


def donation_statuses(
    *, session: Session, donations: list[BloodDonation]
) -> dict[int, DonationStatus]:
    """``{donation id: status}`` for many donations: one query for their results."""
    required = settings.of(session).blood_lab_markers
    results = results_of(session, [d.id for d in donations])
    return {
        d.id: DonationStatus(
            donation=d,
            results=results[d.id],
            required=required,
            blockers=_blockers(d, results[d.id], required),
        )
        for d in donations
    }


def donation_status(*, session: Session, donation: BloodDonation) -> DonationStatus:
    return donation_statuses(session=session, donations=[donation])[donation.id]


def _unit_blockers(unit: Unit, statuses: Mapping[int, DonationStatus], now) -> list[str]:
    """Why this unit cannot be released (nothing when it can)."""
    if unit.state != UnitState.PENDING_TESTS:
        state = str(STATE_WORDS[UnitState(unit.state)])
        if unit.discard_reason in DISCARD_REASONS:
            state = f"{state}: {DISCARD_REASONS[unit.discard_reason]}"
        return [_("It is %(state)s, not waiting for test results.", state=state)]
    if unit.donation_id is None or unit.donation_id not in statuses:
        return [_("No donation is recorded for it: its tests cannot be checked.")]
    status = statuses[unit.donation_id]
    reasons = [b.message for b in status.blockers]
    if not reasons:
        donation = status.donation
        group = (donation.confirmed_abo, donation.confirmed_rhd)
        if unit.abo is not None and (unit.abo, unit.rhd) != group:
            reasons.append(
                _(
                    "Its label says %(unit_group)s, the confirmed group is %(group)s.",
                    unit_group=_group_text(unit.abo, unit.rhd),
                    group=_group_text(*group),
                )
            )
    if unit.expires_at <= now:
        reasons.append(_("It expired on %(date)s.", date=unit.expires_at.date().isoformat()))
    return reasons


def _donations_of(session: Session, units: list[Unit]) -> list[BloodDonation]:
    ids = {u.donation_id for u in units if u.donation_id is not None}
    if not ids:
        return []
    return list(session.exec(select(BloodDonation).where(BloodDonation.id.in_(ids))).all())


def releasable_units(*, session: Session, actor: Actor) -> list[Unit]:
    """The centre's units that ``release_tested`` would release now (tests done and
    negative, group confirmed, no deviation open, not expired): the quality manager's queue.
    Read for the units still waiting for tests only, with their donations' results in one
    query."""
    RELEASE.require(actor)
    centre = acting_centre(session=session, actor=actor)
    now = utcnow()
    waiting = list(
        session.exec(
            select(Unit)
            .where(
                Unit.owner_id == centre.id,
                Unit.state == UnitState.PENDING_TESTS,
                Unit.expires_at > now,
            )
            .order_by(Unit.expires_at, Unit.id)
        ).all()
    )
    statuses = donation_statuses(session=session, donations=_donations_of(session, waiting))
    return [unit for unit in waiting if not _unit_blockers(unit, statuses, now)]


def release_tested(*, session: Session, actor: Actor, unit_ids: list[int]) -> list[Unit]:
    """Release the units for use, all or none: each must wait for tests, and its donation
    have every required marker negative, its group confirmed and no open or rejected
    deviation. The refusal says, for each unit that cannot go, why."""
    RELEASE.require(actor)
    centre = acting_centre(session=session, actor=actor)
    wanted = list(dict.fromkeys(unit_ids))
    if not wanted:
        raise ValidationFailed({"units": [_("Choose at least one unit.")]})
    units = list(
        session.exec(
            select(Unit)
            .where(Unit.id.in_(wanted), Unit.owner_id == centre.id)
            .order_by(Unit.din, Unit.product_code, Unit.division)
        ).all()
    )
    if len(units) != len(wanted):
        raise NotFound()
    donations = _donations_of(session, units)
    statuses = donation_statuses(session=session, donations=donations)
    now = utcnow()
    refusals = []
    for unit in units:
        reasons = _unit_blockers(unit, statuses, now)
        if reasons:
            refusals.append(
                _("%(unit)s cannot be released: %(why)s", unit=unit.label, why=" ".join(reasons))
            )
    if refusals:
        raise ValidationFailed({"units": refusals}, _l("Nothing was released."))
    released = []
    for unit in units:
        donation = statuses[unit.donation_id].donation
        if unit.abo is None:
            unit.abo, unit.rhd = donation.confirmed_abo, donation.confirmed_rhd
            session.add(unit)
            session.flush()
        released.append(
            transition(
                session=session,
                actor=actor,
                unit=unit,
                action=Action.RELEASE,
                holder=centre,
                now=now,
            )
        )
    return released


@dataclass(frozen=True)
class ReleaseOverview:
    """The centre's units waiting for tests: those that may be released now, and the others
    with the reasons they may not."""

    ready: list[Unit] = field(default_factory=list)
    blocked: list[tuple[Unit, list[str]]] = field(default_factory=list)


def release_overview(*, session: Session, actor: Actor) -> ReleaseOverview:
    """For a blood centre's units page (empty for anyone else)."""
    if actor.organisation_kind not in CENTRES:
        return ReleaseOverview()
    centre = acting_centre(session=session, actor=actor)
    units = list(
        session.exec(
            select(Unit)
            .where(Unit.owner_id == centre.id, Unit.state == UnitState.PENDING_TESTS)
            .order_by(Unit.expires_at, Unit.din)
        ).all()
    )
    statuses = donation_statuses(session=session, donations=_donations_of(session, units))
    now = utcnow()
    overview = ReleaseOverview()
    for unit in units:
        reasons = _unit_blockers(unit, statuses, now)
        if reasons:
            overview.blocked.append((unit, reasons))
        else:
            overview.ready.append(unit)
    return overview
