"""The effect of a transfusion (输血后疗效评价): a post-transfusion value, what it says, and
which transfusions still lack one.

An outcome is recorded on one transfusion and covers every transfusion of the same component
that the patient received from that one's start until the measurement: one Hb after two bags
judges both bags (the rise is per unit over the two), and neither shows as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import audit
from blood.accounts.scoping import Actor
from blood.clinical import rules
from blood.clinical.messages import refusal
from blood.clinical.models import Transfusion, TransfusionOutcome
from blood.clinical.service.common import not_in_future, profile_of, recording_hospital
from blood.clinical.service.transfusions import add_flags
from blood.db import utcnow
from blood.errors import NotFound
from blood.stock.models import ProductCode, Unit

# The post-transfusion values that judge each component (any one of them for plasma).
MEASURES: dict[str, tuple[str, ...]] = {
    "red_cells": ("hb_g_l",),
    "platelets": ("platelets_e9_l",),
    "plasma": ("inr", "pt_ratio", "aptt_ratio"),
    "cryo": ("fibrinogen_g_l",),
}
MEASURE_WORDS = {
    "hb_g_l": "Hb",
    "platelets_e9_l": "PLT",
    "inr": "INR",
    "pt_ratio": "PT",
    "aptt_ratio": "APTT",
    "fibrinogen_g_l": "FIB",
}


@dataclass(frozen=True)
class OutcomeInput:
    measured_at: datetime
    hb_g_l: float | None = None
    platelets_e9_l: float | None = None
    pt_ratio: float | None = None
    inr: float | None = None
    aptt_ratio: float | None = None
    fibrinogen_g_l: float | None = None
    body_surface_area_m2: float | None = None
    platelets_given_e11: float | None = None


def _own(session: Session, hospital_id: int, transfusion_id: int) -> Transfusion:
    found = session.get(Transfusion, transfusion_id)
    if found is None or found.hospital_id != hospital_id:
        raise NotFound()
    return found


def _span(session: Session, transfusion: Transfusion, measured_at: datetime) -> list[Transfusion]:
    """The patient's transfusions of this component from this one's start until the
    measurement (this one included)."""
    return list(
        session.exec(
            select(Transfusion)
            .where(
                Transfusion.hospital_id == transfusion.hospital_id,
                Transfusion.patient_key == transfusion.patient_key,
                Transfusion.component == transfusion.component,
                Transfusion.started_at >= transfusion.started_at,
                Transfusion.ended_at <= measured_at,
            )
            .order_by(Transfusion.started_at, Transfusion.id)
        ).all()
    )


def _platelet_dose(
    session: Session, span: list[Transfusion], profile: rules.Profile
) -> float | None:
    """Platelets given (×10¹¹) in the span, when every unit is an apheresis one (a known
    dose each); None otherwise."""
    methods = session.exec(
        select(ProductCode.method)
        .join(Unit, Unit.product_code == ProductCode.code)
        .where(Unit.id.in_([t.unit_id for t in span]))
    ).all()
    if len(methods) != len(span) or any(m != "apheresis" for m in methods):
        return None
    return round(len(span) * profile.apheresis_platelet_dose_e11, 2)


def _effect(
    profile: rules.Profile,
    transfusion: Transfusion,
    data: OutcomeInput,
    *,
    units: float,
    dose: float | None,
) -> rules.Effect:
    hours = (data.measured_at - transfusion.ended_at).total_seconds() / 3600
    if transfusion.component == "red_cells":
        return rules.red_cell_effect(
            profile, pre_hb=transfusion.pre_hb_g_l, post_hb=data.hb_g_l, units=units
        )
    if transfusion.component == "platelets":
        return rules.platelet_effect(
            profile,
            pre_count=transfusion.pre_platelets_e9_l,
            post_count=data.platelets_e9_l,
            bsa_m2=data.body_surface_area_m2,
            dose_e11=data.platelets_given_e11 or dose,
            hours_after_end=hours,
        )
    for measure in MEASURES[transfusion.component]:
        post = getattr(data, measure)
        if post is not None:
            return rules.coagulation_effect(pre=getattr(transfusion, f"pre_{measure}"), post=post)
    return rules.Effect(basis="no_rule")


def record_outcome(
    *, session: Session, actor: Actor, transfusion_id: int, data: OutcomeInput
) -> TransfusionOutcome:
    """Record a post-transfusion value on one of the hospital's transfusions: it must be the
    value that judges the component, measured after the end and within the profile's window;
    an ineffective transfusion is flagged for the committee."""
    hospital = recording_hospital(session=session, actor=actor)
    transfusion = _own(session, hospital.id, transfusion_id)
    measures = MEASURES[transfusion.component]
    if all(getattr(data, m) is None for m in measures):
        raise refusal(
            "outcome_measure_missing",
            component=transfusion.component,
            measures=" / ".join(MEASURE_WORDS[m] for m in measures),
        )
    now = utcnow()
    not_in_future(data.measured_at, "measured_at", now=now)
    if data.measured_at < transfusion.ended_at:
        raise refusal("outcome_before_end", ended=transfusion.ended_at.isoformat())
    profile = profile_of(session)
    hours = (data.measured_at - transfusion.ended_at).total_seconds() / 3600
    if hours > profile.outcome_window_hours:
        raise refusal(
            "outcome_too_late", hours=round(hours, 1), window=profile.outcome_window_hours
        )

    span = _span(session, transfusion, data.measured_at)
    if transfusion.component == "red_cells":
        units = round(sum(t.counted_ml or 0 for t in span) / profile.ml_per_unit, 2)
    else:
        units = float(len(span))
    dose = _platelet_dose(session, span, profile) if transfusion.component == "platelets" else None
    effect = _effect(profile, transfusion, data, units=units, dose=dose)
    given = (data.platelets_given_e11 or dose) if transfusion.component == "platelets" else None
    outcome = TransfusionOutcome(
        transfusion_id=transfusion.id,
        hospital_id=hospital.id,
        patient_key=transfusion.patient_key,
        component=transfusion.component,
        span_from=transfusion.started_at,
        measured_at=data.measured_at,
        hb_g_l=data.hb_g_l,
        platelets_e9_l=data.platelets_e9_l,
        pt_ratio=data.pt_ratio,
        inr=data.inr,
        aptt_ratio=data.aptt_ratio,
        fibrinogen_g_l=data.fibrinogen_g_l,
        body_surface_area_m2=data.body_surface_area_m2,
        platelets_given_e11=given,
        units=units,
        increment=effect.increment,
        cci=effect.cci,
        ineffective=effect.ineffective,
        basis=effect.basis,
        recorded_at=now,
        recorded_by_id=actor.user_id,
        recorded_by=actor.name,
    )
    session.add(outcome)
    if effect.finding is not None:
        add_flags(session, transfusion, [effect.finding], now=now)
    audit.record(session, actor, "transfusion.outcome", outcome, organisation=hospital)
    return outcome


# --- which transfusions lack an outcome ---------------------------------------------------------


def covered_clause() -> Any:
    """SQL: an outcome covers the transfusion (same patient and component, recorded on a
    transfusion that started no later, measured after this one ended)."""
    o = sa.orm.aliased(TransfusionOutcome)
    return (
        sa.select(o.id)
        .where(
            o.hospital_id == Transfusion.hospital_id,
            o.patient_key == Transfusion.patient_key,
            o.component == Transfusion.component,
            o.span_from <= Transfusion.started_at,
            o.measured_at >= Transfusion.ended_at,
        )
        .exists()
    )


def missing_clause(now: datetime) -> Any:
    """SQL: the outcome is due and missing, and the committee has not looked at it since."""
    acknowledged = sa.and_(
        Transfusion.reviewed_at.is_not(None),
        Transfusion.reviewed_at >= Transfusion.outcome_due_at,
    )
    return sa.and_(Transfusion.outcome_due_at < now, ~covered_clause(), ~acknowledged)


def covering_outcome(session: Session, transfusion: Transfusion) -> TransfusionOutcome | None:
    """The first outcome that covers this transfusion, if any."""
    return session.exec(
        select(TransfusionOutcome)
        .where(
            TransfusionOutcome.hospital_id == transfusion.hospital_id,
            TransfusionOutcome.patient_key == transfusion.patient_key,
            TransfusionOutcome.component == transfusion.component,
            TransfusionOutcome.span_from <= transfusion.started_at,
            TransfusionOutcome.measured_at >= transfusion.ended_at,
        )
        .order_by(TransfusionOutcome.measured_at)
    ).first()
