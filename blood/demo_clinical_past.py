"""The clinical demo's past (see ``blood.demo_clinical``): one transfusion record per unit the
stock demo shows as transfused, written directly at the time of the unit's transfusion, with
the flags the rules raise; then their follow-up (``demo_clinical_followup``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.clinical import rules
from blood.clinical import service as clinical
from blood.clinical.models import REVIEW_OPEN, Transfusion, TransfusionApproval
from blood.clinical.service.transfusions import add_flags
from blood.db import utcnow
from blood.demo_clinical_followup import write_outcomes, write_reactions, write_reviews
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, Unit, UnitMovement

# (department, surgical, indications)
DEPARTMENTS = [
    ("普外科", True, ["D62", "K92.2"]),
    ("骨科", True, ["D62", "S72.0"]),
    ("心胸外科", True, ["D62", "I35.0"]),
    ("妇产科", True, ["O72.1", "O72.0"]),
    ("血液科", False, ["D64.9", "C92.0", "D61.9"]),
    ("消化内科", False, ["K92.2", "D50.0"]),
    ("重症医学科", False, ["D65", "R57.1"]),
]
PLASMA_INDICATIONS = ["D65", "D68.9", "K72.0"]
CRYO_INDICATIONS = ["D65", "D68.4", "O72.1"]
DURATION = {"red_cells": 100, "plasma": 45, "platelets": 30, "cryo": 20}  # minutes


@dataclass
class _Patient:
    number: str
    sex: str
    birth_year: int
    abo: str
    rhd: str
    department: tuple
    transfusions: list[Transfusion] = field(default_factory=list)


def _transfused(session: Session, hospital: Organisation) -> list[tuple[Unit, datetime]]:
    rows = session.exec(
        select(Unit, UnitMovement.at)
        .join(UnitMovement, UnitMovement.unit_id == Unit.id)
        .where(
            UnitMovement.organisation_id == hospital.id,
            UnitMovement.action == "transfuse",
            Unit.state == UnitState.TRANSFUSED,
        )
        .order_by(UnitMovement.at, Unit.id)
    ).all()
    return list(rows)


def _source_ml(session: Session, unit: Unit) -> int | None:
    if unit.donation_id is None:
        return None
    return session.exec(
        select(BloodDonation.volume_ml).where(BloodDonation.id == unit.donation_id)
    ).first()


def _new_patient(rng: random.Random, unit: Unit, surgical_only: bool = False) -> _Patient:
    departments = [d for d in DEPARTMENTS if d[1]] if surgical_only else DEPARTMENTS
    department = rng.choice(departments)
    sex = "F" if department[0] == "妇产科" else rng.choice("MF")
    age = rng.randint(28, 40) if department[0] == "妇产科" else rng.randint(18, 88)
    return _Patient(
        number=f"ZY{rng.randint(2024000, 2026999)}",
        sex=sex,
        birth_year=utcnow().year - age,
        abo=unit.abo,
        rhd=unit.rhd,
        department=department,
    )


def _pre(rng: random.Random, component: str) -> rules.PreValues:
    """Values inside the indication mostly; now and then one the committee should see."""
    if component == "red_cells":
        hb = rng.randint(103, 116) if rng.random() < 0.12 else rng.randint(52, 92)
        return rules.PreValues(hb_g_l=float(hb))
    if component == "platelets":
        return rules.PreValues(platelets_e9_l=float(rng.randint(8, 45)))
    if component == "plasma":
        if rng.random() < 0.05:
            return rules.PreValues()
        inr = rng.uniform(1.3, 1.9) if rng.random() < 0.15 else rng.uniform(2.1, 3.6)
        return rules.PreValues(inr=round(inr, 2), pt_ratio=round(inr * 0.9, 2))
    return rules.PreValues(fibrinogen_g_l=round(rng.uniform(0.5, 1.4), 2))


def write_past(session, rng, profile, hospital, officer, now) -> int:
    """One record per unit transfused at the hospital, in time order."""
    open_patients: list[_Patient] = []
    records: list[tuple[Transfusion, _Patient]] = []
    for unit, at in _transfused(session, hospital):
        patient = None
        if unit.component == "red_cells":
            candidates = [
                p
                for p in open_patients
                if p.abo == unit.abo
                and p.rhd == unit.rhd
                and sum(1 for t in p.transfusions if t.component == "red_cells") < 2
                and at - p.transfusions[-1].started_at < timedelta(hours=20)
            ]
            if candidates and rng.random() < 0.7:
                patient = candidates[0]
        if patient is None:
            patient = _new_patient(rng, unit)
            open_patients = [*open_patients[-6:], patient]
        records.append(
            (_record(session, rng, profile, hospital, officer, unit, at, patient, now), patient)
        )
    write_outcomes(session, rng, profile, hospital, officer, records, now)
    write_reviews(session, records, officer, now)
    write_reactions(session, rng, hospital, officer, records, now)
    return len(records)


def _record(session, rng, profile, hospital, officer, unit, at, patient, now) -> Transfusion:
    department, surgical, indications = patient.department
    component = unit.component
    if component == "plasma":
        indication = rng.choice(PLASMA_INDICATIONS)
    elif component == "cryo":
        indication = rng.choice(CRYO_INDICATIONS)
    else:
        indication = rng.choice(indications)
    if rng.random() < 0.05:
        indication = None
    emergency = department == "重症医学科" and rng.random() < 0.15
    earlier = [
        t
        for t in patient.transfusions
        if t.component == "red_cells" and at - t.started_at < timedelta(hours=24)
    ]
    counted = None
    if component == "red_cells":
        counted = rules.counted_ml(
            source_ml=_source_ml(session, unit),
            unit_ml=unit.volume_ml,
            ml_per_unit=profile.ml_per_unit,
        )
    approvals = [clinical.ApprovalInput("senior_doctor", f"S{rng.randint(1000, 1999)}")]
    earlier_ml = sum(t.counted_ml or 0 for t in earlier)
    if counted and rules.required_tiers(profile, earlier_ml + counted) and rng.random() < 0.75:
        approvals.append(clinical.ApprovalInput("department_head", f"K{rng.randint(100, 199)}0"))
    signed = {
        a.tier
        for t in earlier
        for a in session.exec(
            select(TransfusionApproval).where(TransfusionApproval.transfusion_id == t.id)
        ).all()
    }
    ended = min(at + timedelta(minutes=DURATION[component]), now - timedelta(minutes=2))
    data = clinical.TransfusionInput(
        din=unit.din,
        product_code=unit.product_code,
        division=unit.division,
        patient_record_number=patient.number,
        department=department,
        ward=f"{rng.randint(3, 18)}{rng.choice('ABC')}",
        started_at=at,
        ended_at=ended,
        volume_given_ml=unit.volume_ml,
        patient_sex=patient.sex,
        patient_birth_year=patient.birth_year,
        patient_abo=patient.abo,
        patient_rhd=patient.rhd,
        indication=indication,
        surgical=surgical,
        bleeding=surgical and rng.random() < 0.5,
        pre=_pre(rng, component),
        ordering_doctor=None if rng.random() < 0.03 else f"D{rng.randint(1000, 4999)}",
        approvals=tuple(approvals),
        emergency=emergency,
        emergency_reason="失血性休克，先输后补手续" if emergency else None,
    )
    findings, needed = clinical.assess(
        profile, unit=unit, data=data, counted=counted, earlier_ml=earlier_ml, signed=signed
    )
    recorded = ended + timedelta(minutes=rng.randint(3, 40))
    transfusion = Transfusion(
        hospital_id=hospital.id,
        unit_id=unit.id,
        component=component,
        unit_abo=unit.abo,
        unit_rhd=unit.rhd,
        counted_ml=counted,
        patient_key=clinical.patient_key(session=session, hospital=hospital, number=patient.number),
        patient_mask=clinical.mask_record_number(patient.number),
        patient_sex=patient.sex,
        patient_birth_year=patient.birth_year,
        patient_age_band=rules.age_band(patient.birth_year, at.year),
        patient_abo=patient.abo,
        patient_rhd=patient.rhd,
        department=department,
        ward=data.ward,
        indication=indication,
        surgical=surgical,
        bleeding=data.bleeding,
        pre_hb_g_l=data.pre.hb_g_l,
        pre_platelets_e9_l=data.pre.platelets_e9_l,
        pre_pt_ratio=data.pre.pt_ratio,
        pre_inr=data.pre.inr,
        pre_aptt_ratio=data.pre.aptt_ratio,
        pre_fibrinogen_g_l=data.pre.fibrinogen_g_l,
        started_at=at,
        ended_at=ended,
        volume_given_ml=unit.volume_ml,
        ordering_doctor_key=clinical.staff_key(
            session=session, hospital=hospital, staff_id=data.ordering_doctor
        )
        if data.ordering_doctor
        else None,
        ordering_doctor_mask=clinical.mask_staff_id(data.ordering_doctor)
        if data.ordering_doctor
        else None,
        emergency=emergency,
        emergency_reason=data.emergency_reason,
        window_total_ml=needed.total_ml if needed else None,
        required_approval=needed.required[-1] if needed and needed.required else None,
        review_status=REVIEW_OPEN if findings else None,
        outcome_due_at=ended + timedelta(hours=profile.outcome_due_hours),
        recorded_at=recorded,
        recorded_by_id=officer.user_id,
        recorded_by=officer.name,
    )
    session.add(transfusion)
    session.flush()
    for approval in approvals:
        session.add(
            TransfusionApproval(
                transfusion_id=transfusion.id,
                tier=approval.tier,
                staff_key=clinical.staff_key(
                    session=session, hospital=hospital, staff_id=approval.staff_id
                ),
                staff_mask=clinical.mask_staff_id(approval.staff_id),
            )
        )
    add_flags(session, transfusion, findings, now=recorded)
    patient.transfusions.append(transfusion)
    return transfusion
