"""Demo clinical use at the four demo hospitals, alive whatever the day it is loaded.

The past: every unit the stock demo shows as transfused gets its transfusion record (the
patient, department, indication, pre-transfusion values, doctors and approvals, the effect
measured), written directly at the time of the unit's transfusion, with the flags the rules
raise; older flags reviewed by the committee, recent ones waiting; a few adverse reactions
(one life-threatening, so alerted); a transfusion whose outcome is missing.

Today, through the services (as the hospital's own staff): a patient given 1,600 mL in 24
hours with the department head's and the medical department's approval, one given 800 mL
without the department head's, and an emergency: RhD-positive red cells for an RhD-negative
patient, flagged and reported.

Patient record numbers and staff ids are made up; they are stored as the services store them
(keyed hashes per hospital, masks).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user
from blood.clinical import rules
from blood.clinical import service as clinical
from blood.clinical.models import (
    REVIEW_OPEN,
    REVIEWED,
    AdverseReaction,
    ReactionTransfusion,
    Transfusion,
    TransfusionApproval,
    TransfusionOutcome,
)
from blood.clinical.service.transfusions import add_flags
from blood.db import utcnow
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, Unit, UnitMovement

OFFICERS = {
    "H-ZJU1": "zju1.transfusion",
    "H-ZJPPH": "zjpph.transfusion",
    "H-WMU1": "wmu1.transfusion",
    "H-CA1": "ca1.transfusion",
}
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


def load_clinical_demo(session: Session) -> bool:
    """The demo hospitals' clinical records (see the module). Idempotent: nothing is done
    when any transfusion is recorded already, or when the stock demo is not there."""
    if session.exec(select(Transfusion.id)).first() is not None:
        return False
    orgs = {o.code: o for o in session.exec(select(Organisation)).all()}
    users = {u.username: u for u in session.exec(select(User)).all()}
    hospitals = [orgs[code] for code in OFFICERS if code in orgs]
    if not hospitals or not all(OFFICERS[h.code] in users for h in hospitals):
        return False
    rng = random.Random(11)
    now = utcnow()
    profile = clinical.profile_of(session)
    made = 0
    for hospital in hospitals:
        officer = actor_for_user(session, users[OFFICERS[hospital.code]])
        made += _past(session, rng, profile, hospital, officer, now)
    if not made:
        return False
    _today(session, orgs, users, now)
    audit.record(
        session,
        Actor.system("demo"),
        "demo.clinical_history",
        entity_type="organisation",
        entity_id=hospitals[0].id,
        organisation=hospitals[0],
        changes={"transfusions": [None, made]},
    )
    return True


# --- the past: written directly ---------------------------------------------------------------


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


def _past(session, rng, profile, hospital, officer, now) -> int:
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
    _outcomes(session, rng, profile, hospital, officer, records, now)
    _reviews(session, records, officer, now)
    _reactions(session, rng, hospital, officer, records, now)
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


def _outcomes(session, rng, profile, hospital, officer, records, now) -> None:
    """Most transfusions get their post-transfusion value (one after a patient's last bag
    judges all their bags); one older red-cell transfusion keeps none: it is missing."""
    judged: set[int] = set()
    missing_left = 1
    for transfusion, patient in records:
        if transfusion.id in judged:
            continue
        span = [
            t
            for t in patient.transfusions
            if t.component == transfusion.component and t.started_at >= transfusion.started_at
        ]
        last_end = max(t.ended_at for t in span)
        measured = last_end + timedelta(hours=rng.randint(4, 14))
        old_enough = transfusion.outcome_due_at < now
        if measured > now or measured > transfusion.ended_at + timedelta(
            hours=profile.outcome_window_hours
        ):
            continue
        if transfusion.component == "red_cells" and old_enough and missing_left:
            missing_left -= 1
            judged.update(t.id for t in span)
            continue
        values: dict = {}
        units = float(len(span))
        effect = rules.Effect(basis="no_rule")
        if transfusion.component == "red_cells":
            units = round(sum(t.counted_ml or 0 for t in span) / profile.ml_per_unit, 2)
            rise = rng.uniform(0.5, 2.0) if rng.random() < 0.1 else rng.uniform(4.0, 6.5)
            values["hb_g_l"] = round((transfusion.pre_hb_g_l or 70) + rise * units)
            effect = rules.red_cell_effect(
                profile, pre_hb=transfusion.pre_hb_g_l, post_hb=values["hb_g_l"], units=units
            )
        elif transfusion.component == "plasma":
            values["inr"] = round(rng.uniform(1.2, 1.7), 2)
            effect = rules.coagulation_effect(pre=transfusion.pre_inr, post=values["inr"])
        elif transfusion.component == "cryo":
            values["fibrinogen_g_l"] = round(rng.uniform(1.3, 2.1), 2)
            effect = rules.coagulation_effect(
                pre=transfusion.pre_fibrinogen_g_l, post=values["fibrinogen_g_l"]
            )
        else:
            continue
        session.add(
            TransfusionOutcome(
                transfusion_id=transfusion.id,
                hospital_id=hospital.id,
                patient_key=transfusion.patient_key,
                component=transfusion.component,
                span_from=transfusion.started_at,
                measured_at=measured,
                units=units,
                increment=effect.increment,
                ineffective=effect.ineffective,
                basis=effect.basis,
                recorded_at=measured + timedelta(hours=1),
                recorded_by_id=officer.user_id,
                recorded_by=officer.name,
                **values,
            )
        )
        if effect.finding is not None:
            add_flags(session, transfusion, [effect.finding], now=measured)
        judged.update(t.id for t in span)


REVIEW_COMMENTS = [
    "已与临床科室沟通，输血指征记录补充完整",
    "科室已补签审批，纳入本月质控通报",
    "急诊抢救用血，情况属实",
    "已复核，提醒科室规范填写输血前评估",
]


def _reviews(session, records, officer, now) -> None:
    """The committee has looked at flags older than ten days."""
    for transfusion, _patient in records:
        if transfusion.review_status == REVIEW_OPEN and transfusion.started_at < now - timedelta(
            days=10
        ):
            transfusion.review_status = REVIEWED
            transfusion.reviewed_at = transfusion.started_at + timedelta(days=7)
            transfusion.reviewed_by_id = officer.user_id
            transfusion.reviewed_by = officer.name
            transfusion.review_comment = REVIEW_COMMENTS[transfusion.id % len(REVIEW_COMMENTS)]
            session.add(transfusion)


# (hospital, category, severity, imputability, outcome, minutes after the end, description)
REACTIONS = [
    ("H-ZJU1", "febrile_non_haemolytic", 1, "probable", "minor_or_none", 40,
     "输注红细胞后 40 分钟体温升至 38.8 °C，伴寒战，对症处理后缓解"),
    ("H-ZJPPH", "allergic", 2, "probable", "minor_or_none", -15,
     "输注血浆过程中全身荨麻疹，停止输注，予抗组胺药后缓解"),
    ("H-WMU1", "taco", 3, "probable", "minor_or_none", 150,
     "输注第二袋红细胞后 2.5 小时呼吸困难、端坐呼吸，双肺湿啰音，BNP 升高，转入 ICU 无创通气"),
]  # fmt: skip


def _reactions(session, rng, hospital, officer, records, now) -> None:
    for code, category, severity, imputability, outcome, minutes, text in REACTIONS:
        if code != hospital.code:
            continue
        component = "plasma" if category == "allergic" else "red_cells"
        chosen = [t for t, _p in records if t.component == component]
        if not chosen:
            return
        transfusion = chosen[len(chosen) // 2]
        onset = transfusion.ended_at + timedelta(minutes=minutes)
        if onset < transfusion.started_at:
            onset = transfusion.started_at + timedelta(minutes=10)
        reaction = AdverseReaction(
            hospital_id=hospital.id,
            category=category,
            severity=severity,
            imputability=imputability,
            outcome=outcome,
            onset_at=min(onset, now),
            description=text,
            alert_required=rules.alert_required(category, severity),
            recorded_at=min(onset + timedelta(hours=3), now),
            recorded_by_id=officer.user_id,
            recorded_by=officer.name,
        )
        session.add(reaction)
        session.flush()
        session.add(ReactionTransfusion(reaction_id=reaction.id, transfusion_id=transfusion.id))


# --- today: through the services -------------------------------------------------------------


def _units(session, hospital, abo, rhd, n, now) -> list[Unit] | None:
    found = session.exec(
        select(Unit)
        .where(
            Unit.owner_id == hospital.id,
            Unit.state == UnitState.RECEIVED,
            Unit.component == "red_cells",
            Unit.abo == abo,
            Unit.rhd == rhd,
            Unit.expires_at > now + timedelta(days=4),
            Unit.collected_at < now - timedelta(days=2),
        )
        .order_by(Unit.id)
        .limit(n)
    ).all()
    return list(found) if len(found) == n else None


def _give(session, actor, unit, patient, hours_ago, now, **extra) -> Transfusion:
    start = now - timedelta(hours=hours_ago)
    return clinical.record_transfusion(
        session=session,
        actor=actor,
        data=clinical.TransfusionInput(
            din=unit.din,
            product_code=unit.product_code,
            division=unit.division,
            department=patient["department"],
            ward=patient["ward"],
            patient_record_number=patient["number"],
            patient_sex=patient["sex"],
            patient_birth_year=patient["birth_year"],
            patient_abo=patient["abo"],
            patient_rhd=patient["rhd"],
            indication=patient["indication"],
            surgical=True,
            bleeding=True,
            pre=rules.PreValues(hb_g_l=patient["hb"]),
            started_at=start,
            ended_at=start + timedelta(minutes=90),
            volume_given_ml=unit.volume_ml,
            ordering_doctor=patient["doctor"],
            **extra,
        ),
    )


def _today(session, orgs, users, now) -> None:
    def staff(name):
        return actor_for_user(session, users[name])

    zju1, zjpph = orgs.get("H-ZJU1"), orgs.get("H-ZJPPH")
    if zju1 is not None:
        # 1,600 mL in 24 hours: the department head and the medical department approved.
        units = _units(session, zju1, "A", "+", 4, now)
        if units:
            patient = {
                "number": "ZY2026118801", "sex": "M", "birth_year": 1968, "abo": "A",
                "rhd": "+", "department": "心胸外科", "ward": "12A", "indication": "I71.0",
                "hb": 71.0, "doctor": "D2231",
            }  # fmt: skip
            approvals = (
                clinical.ApprovalInput("senior_doctor", "S1107"),
                clinical.ApprovalInput("department_head", "K1020"),
                clinical.ApprovalInput("medical_department", "Y0031"),
            )
            first = None
            for index, unit in enumerate(units):
                made = _give(
                    session,
                    staff("zju1.transfusion"),
                    unit,
                    patient,
                    22 - 4 * index,
                    now,
                    approvals=approvals if index == 0 else (),
                )
                first = first or made
            clinical.record_outcome(
                session=session,
                actor=staff("zju1.transfusion"),
                transfusion_id=first.id,
                data=clinical.OutcomeInput(measured_at=now - timedelta(hours=1), hb_g_l=108.0),
            )
        # An emergency: RhD-positive red cells for an RhD-negative patient.
        units = _units(session, zju1, "O", "+", 1, now)
        if units:
            patient = {
                "number": "ZY2026119042", "sex": "F", "birth_year": 1991, "abo": "O",
                "rhd": "-", "department": "急诊科", "ward": "抢救室", "indication": "S36.1",
                "hb": 54.0, "doctor": "D3318",
            }  # fmt: skip
            _give(
                session,
                staff("zju1.transfusion"),
                units[0],
                patient,
                5,
                now,
                emergency=True,
                emergency_reason="车祸致肝破裂失血性休克，RhD 阴性红细胞库存不足，经科主任同意"
                "紧急输注 RhD 阳性红细胞",
            )
        # Wastage: a plasma bag found cracked when thawed; red cells no longer needed, back
        # to the centre.
        plasma = session.exec(
            select(Unit)
            .where(
                Unit.owner_id == zju1.id,
                Unit.state == UnitState.RECEIVED,
                Unit.component == "plasma",
            )
            .order_by(Unit.id)
        ).first()
        if plasma is not None:
            clinical.discard_units(
                session=session,
                actor=staff("zju1.transfusion"),
                items=[clinical.UnitAction(plasma.din, plasma.product_code, "damaged")],
            )
        spare = _units(session, zju1, "B", "+", 1, now)
        if spare:
            clinical.return_units(
                session=session,
                actor=staff("zju1.transfusion"),
                items=[clinical.UnitAction(spare[0].din, spare[0].product_code, "not_needed")],
            )
    if zjpph is not None:
        # 800 mL in 24 hours without the department head's signature: flagged.
        units = _units(session, zjpph, "AB", "+", 2, now)
        if units:
            patient = {
                "number": "ZY2026117315", "sex": "F", "birth_year": 1957, "abo": "AB",
                "rhd": "+", "department": "消化内科", "ward": "8B", "indication": "K92.2",
                "hb": 62.0, "doctor": "D1409",
            }  # fmt: skip
            for index, unit in enumerate(units):
                _give(
                    session,
                    staff("zjpph.transfusion"),
                    unit,
                    patient,
                    14 - 6 * index,
                    now,
                    approvals=(clinical.ApprovalInput("senior_doctor", "S1302"),),
                )
