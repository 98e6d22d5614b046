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

The past is written by ``demo_clinical_past`` (the records) and ``demo_clinical_followup``
(outcomes, reviews, reactions). Patient record numbers and staff ids are made up; they are
stored as the services store them (keyed hashes per hospital, masks).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session, select

from blood import audit
from blood.accounts.models import Organisation, User
from blood.accounts.scoping import Actor
from blood.accounts.service import actor_for_user
from blood.clinical import rules
from blood.clinical import service as clinical
from blood.clinical.models import Transfusion
from blood.db import utcnow
from blood.demo_clinical_past import write_past
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, Unit

OFFICERS = {
    "H-ZJU1": "zju1.transfusion",
    "H-ZJPPH": "zjpph.transfusion",
    "H-WMU1": "wmu1.transfusion",
    "H-CA1": "ca1.transfusion",
}


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
        made += write_past(session, rng, profile, hospital, officer, now)
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


# --- today: through the services -------------------------------------------------------------


def _enough_for(session, units: list[Unit] | None, ml: int) -> list[Unit] | None:
    """The first of ``units`` whose donations together held at least ``ml`` (what the
    approval tiers count), or None if they never do."""
    volumes = dict(
        session.exec(
            select(Unit.id, BloodDonation.volume_ml)
            .join(BloodDonation, BloodDonation.id == Unit.donation_id)
            .where(Unit.id.in_([u.id for u in units or []]))
        ).all()
    )
    chosen, total = [], 0
    for unit in units or []:
        chosen.append(unit)
        total += volumes.get(unit.id, 0)
        if total >= ml:
            return chosen
    return None


def _units(session, hospital, abo, rhd, n, now, *, largest: bool = False) -> list[Unit] | None:
    """``n`` received red-cell units of the group (``largest``: as many as there are, up to
    ``n``, the largest first)."""
    order = (Unit.volume_ml.desc(), Unit.id) if largest else (Unit.id,)
    found = session.exec(
        select(Unit)
        .where(
            Unit.owner_id == hospital.id,
            Unit.state == UnitState.RECEIVED,
            Unit.component == "red_cells",
            Unit.abo == abo if abo is not None else Unit.abo.is_not(None),
            Unit.rhd == rhd,
            Unit.expires_at > now + timedelta(days=4),
            Unit.collected_at < now - timedelta(days=2),
        )
        .order_by(*order)
        .limit(n)
    ).all()
    if largest:
        return list(found)
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
        # Counted as whole blood (a unit counts its donation's volume); the group is the
        # first that the hospital holds enough of on the day the demo is loaded.
        # Failing that, an AB+ patient, whose red cells may come from any RhD-positive group.
        units, group = None, "A"
        for patient_group, unit_group in (("A", "A"), ("O", "O"), ("B", "B"), ("AB", None)):
            held = _units(session, zju1, unit_group, "+", 8, now, largest=True)
            units = _enough_for(session, held, 1600)
            if units:
                group = patient_group
                break
        if units:
            patient = {
                "number": "ZY2026118801", "sex": "M", "birth_year": 1968, "abo": group,
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
                    22 - 20 * index // len(units),  # spread over the last 22 hours
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
        # An emergency: RhD-positive red cells for an RhD-negative patient, of the first
        # group the hospital still holds RhD-positive red cells of (the 1,600 mL story above
        # may have taken them all); failing that, an AB patient, whom any group suits.
        units, group = None, "O"
        for patient_group, unit_group in (("O", "O"), ("A", "A"), ("B", "B"), ("AB", None)):
            units = _units(session, zju1, unit_group, "+", 1, now)
            if units:
                group = patient_group
                break
        if units:
            patient = {
                "number": "ZY2026119042", "sex": "F", "birth_year": 1991, "abo": group,
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
