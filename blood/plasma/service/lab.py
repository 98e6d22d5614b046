"""Lab results: a reactive marker or an out-of-range value destroys the unit; a reactive marker
also defers the donor permanently everywhere and opens a look-back."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlmodel import Session, select

from blood import audit
from blood.accounts.roles import Role
from blood.accounts.scoping import Actor, Duty
from blood.donors import service as donors
from blood.donors.models import Donor
from blood.errors import NotFound, ValidationFailed
from blood.plasma.models import (
    DESTROYED_OUT_OF_RANGE,
    DESTROYED_REACTIVE,
    INFECTIOUS_MARKERS,
    TEST_VALUES,
    Collection,
    LabResult,
    UnitState,
)
from blood.plasma.service.collection import find_unit
from blood.plasma.service.station import require_station

LAB_RESULTS = Duty((Role.LAB,))  # who enters the laboratory's results


@dataclass(frozen=True)
class LabInput:
    din: str
    hbsag: str
    anti_hcv: str
    anti_hiv: str
    syphilis: str
    total_protein_g_l: float | None = None
    alt_u_l: float | None = None


def record_lab_results(
    *, session: Session, actor: Actor, results: list[LabInput]
) -> list[LabResult]:
    """One sample or a batch, all or nothing. A reactive marker marks the unit for
    destruction, defers the donor permanently everywhere and opens a look-back."""
    LAB_RESULTS.require(actor)
    station = require_station(session, actor)
    profile = donors.profile_for(session, station)
    if not results:
        raise ValidationFailed({"results": [_("No results given.")]})
    errors: dict[str, list[str]] = {}
    units: list[Collection] = []
    seen: set[str] = set()
    for index, row in enumerate(results):
        prefix = f"results.{index}." if len(results) > 1 else ""
        try:
            unit = find_unit(session=session, actor=actor, scanned=row.din)
        except ValidationFailed as error:
            errors[f"{prefix}din"] = error.fields["din"]
            continue
        except NotFound:
            errors[f"{prefix}din"] = [_("No unit of this station has this DIN.")]
            continue
        if unit.station_id != station.id:
            errors[f"{prefix}din"] = [_("No unit of this station has this DIN.")]
            continue
        if unit.din in seen:
            errors[f"{prefix}din"] = [_("This DIN appears twice in the batch.")]
            continue
        seen.add(unit.din)
        if session.exec(select(LabResult.id).where(LabResult.collection_id == unit.id)).first():
            errors[f"{prefix}din"] = [_("Results for this DIN were already entered.")]
        for marker in INFECTIOUS_MARKERS:
            if getattr(row, marker) not in TEST_VALUES:
                errors[f"{prefix}{marker}"] = [_("Negative or reactive.")]
        for name in ("total_protein_g_l", "alt_u_l"):
            value = getattr(row, name)
            if value is not None and value < 0:
                errors[f"{prefix}{name}"] = [_("Must be 0 or more.")]
        units.append(unit)
    if errors:
        raise ValidationFailed(errors)

    saved = []
    for row, unit in zip(results, units, strict=True):
        reactive = [m for m in INFECTIOUS_MARKERS if getattr(row, m) == "reactive"]
        out_of_range = (
            row.total_protein_g_l is not None
            and profile.min_total_protein_g_l is not None
            and row.total_protein_g_l < profile.min_total_protein_g_l
        ) or (
            row.alt_u_l is not None
            and profile.max_alt_u_l is not None
            and row.alt_u_l > profile.max_alt_u_l
        )
        outcome = "reactive" if reactive else "out_of_range" if out_of_range else "negative"
        result = LabResult(
            collection_id=unit.id,
            total_protein_g_l=row.total_protein_g_l,
            alt_u_l=row.alt_u_l,
            hbsag=row.hbsag,
            anti_hcv=row.anti_hcv,
            anti_hiv=row.anti_hiv,
            syphilis=row.syphilis,
            outcome=outcome,
            entered_by_id=actor.user_id,
        )
        session.add(result)
        audit.record(session, actor, "plasma.lab_result", result, organisation=station)
        if outcome != "negative":
            destroy_unit(
                session, actor, unit, DESTROYED_REACTIVE if reactive else DESTROYED_OUT_OF_RANGE
            )
        if reactive:
            donors.record_reactive_donation(
                session=session,
                actor=actor,
                donor=session.get(Donor, unit.donor_id),
                din=unit.din,
                markers=reactive,
                organisation=station,
            )
        saved.append(result)
    return saved


def destroy_unit(session: Session, actor: Actor, unit: Collection, reason: str) -> None:
    """Mark the unit for destruction (audited); ``reason`` is one of the DESTROYED_ codes."""
    if unit.state == UnitState.DESTROYED:
        return
    before = audit.snapshot(unit, ["state", "destroyed_reason"])
    unit.state = UnitState.DESTROYED
    unit.destroyed_reason = reason
    audit.record(session, actor, "plasma.destroy", unit, before=before)
