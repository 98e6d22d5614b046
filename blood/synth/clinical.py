"""Hospitals' clinical history: the record of every unit transfused (``units.Fates`` decides
when), written as ``blood.clinical.service.transfusions.plan`` would keep it — the patient
pseudonymised per hospital, the ABO/RhD findings of ``rules.compatibility``, the approval the
patient's red-cell volume in the window needed (``rules.approval``), the appropriateness flags
of the pre-transfusion values (``rules.appropriateness``), the ordering doctor — and then
the effect measured afterwards (red cells), the committee's review, and adverse reactions
(``rules.alert_required`` marks the ones the supervision package must raise at once; they are
left un-alerted, so the first ``blood evaluate-alerts`` raises them).

Transfusions are written in time order per hospital (a heap, drained up to each day's start
by the orchestrator: no unit made later can be transfused earlier), so a patient's earlier
units in the approval window are known when the next one is given.
"""

from __future__ import annotations

import heapq
import random
from datetime import datetime, timedelta

from blood.clinical import rules
from blood.clinical.models import REVIEW_OPEN, REVIEWED
from blood.clinical.service.common import mask_record_number, mask_staff_id, profile_of
from blood.synth.context import Context
from blood.synth.province import Hospital
from blood.synth.units import Transfused, UnitRef

# (department, surgical, weight by component: red cells, platelets, plasma, cryo, indications)
DEPARTMENTS = (
    ("普外科", True, (18, 4, 20, 15), ("D62", "K92.2")),
    ("骨科", True, (14, 1, 8, 5), ("D62", "S72.0")),
    ("心胸外科", True, (8, 6, 16, 20), ("D62", "I35.0")),
    ("妇产科", True, (8, 2, 10, 20), ("O72.1", "O72.0")),
    ("血液科", False, (20, 70, 6, 5), ("D64.9", "C92.0", "D61.9")),
    ("消化内科", False, (14, 4, 12, 5), ("K92.2", "D50.0")),
    ("重症医学科", False, (10, 10, 20, 20), ("D65", "R57.1")),
    ("急诊科", False, (8, 3, 8, 10), ("D62", "T14.9")),
)
COMPONENT_INDEX = {"red_cells": 0, "platelets": 1, "plasma": 2, "cryo": 3}
PLASMA_INDICATIONS, CRYO_INDICATIONS = ("D65", "D68.9", "K72.0"), ("D65", "D68.4", "O72.1")
# Reactions (unconfirmed shares, after NHSN/SHOT reports: febrile and allergic are most).
CATEGORIES = (
    ("febrile_non_haemolytic", 45), ("allergic", 40), ("anaphylactic", 1.5),
    ("acute_haemolytic", 0.5), ("delayed_haemolytic", 1), ("taco", 3), ("trali", 0.5),
    ("ta_dyspnoea", 2), ("hypotensive", 2), ("tti", 0.1), ("other", 4.4),
)  # fmt: skip
SEVERITY = ((1, 85), (2, 12), (3, 2.5), (4, 0.5))
IMPUTABILITY = (("definite", 10), ("probable", 40), ("possible", 40), ("doubtful", 10))
OFFICER = "输血科"
WINDOW_HOURS_FALLBACK = 72  # a category with no usual window: onset within three days


class Patient:
    __slots__ = ("abo", "birth_year", "department", "key", "last", "mask", "rhd", "sex",
                 "window")  # fmt: skip

    def __init__(self, key, mask, sex, birth_year, abo, rhd, department):
        self.key, self.mask, self.sex, self.birth_year = key, mask, sex, birth_year
        self.abo, self.rhd, self.department = abo, rhd, department
        self.last: datetime | None = None
        self.window: list[tuple[datetime, int, frozenset]] = []  # red cells: (start, mL, tiers)


class Clinic:
    def __init__(self, context: Context):
        self.ctx, self.clock, self.rates = context, context.clock, context.rates
        self.writer = context.writer
        self.rng = random.Random(f"{context.seed}:clinical")
        self.profile = profile_of(context.session)
        self.vault = context.settings.vault
        self.heap: list = []
        self.sequence = 0
        self.patients: dict[tuple, Patient] = {}  # (hospital, component, abo, rhd) → current
        self.serials: dict[int, int] = {}
        self.staff: dict[tuple[int, str], tuple[str, str]] = {}
        self.transfusions = 0
        self._outcome_at: datetime | None = None  # when the last outcome was recorded

    def schedule(self, unit: UnitRef, hospital: Hospital, given: Transfused) -> None:
        self.sequence += 1
        heapq.heappush(self.heap, (given.started_at, self.sequence, unit, hospital, given))

    def drain(self, until: datetime | None) -> None:
        """Write every transfusion that started before ``until`` (None: all), in time order."""
        heap = self.heap
        while heap and (until is None or heap[0][0] < until):
            _at, _n, unit, hospital, given = heapq.heappop(heap)
            self._record(unit, hospital, given)

    # --- people --------------------------------------------------------------------------

    def _staff(self, hospital_id: int, prefix: str) -> tuple[str, str]:
        number = f"{prefix}{self.rng.randint(1000, 1059)}"
        found = self.staff.get((hospital_id, number))
        if found is None:
            key = self.vault.lookup_key(number, purpose=f"staff:{hospital_id}")
            found = self.staff[(hospital_id, number)] = (key, mask_staff_id(number))
        return found

    def _patient(self, hospital: Hospital, unit: UnitRef, at: datetime) -> Patient:
        rng, rates = self.rng, self.rates
        slot = (hospital.org.id, unit.component, unit.abo, unit.rhd)
        current = self.patients.get(slot)
        if (
            current is not None
            and current.last is not None
            and at - current.last < timedelta(hours=20)
            and rng.random() < rates.same_patient[unit.component]
        ):
            return current
        serial = self.serials[hospital.org.id] = self.serials.get(hospital.org.id, 0) + 1
        number = f"ZY{serial:08d}"
        weights = [d[2][COMPONENT_INDEX[unit.component]] for d in DEPARTMENTS]
        department = rng.choices(DEPARTMENTS, weights)[0]
        sex = "F" if department[0] == "妇产科" else rng.choice("MF")
        age = rng.randint(22, 42) if department[0] == "妇产科" else min(95, int(rng.gauss(58, 18)))
        patient = Patient(
            self.vault.lookup_key(number, purpose=f"patient:{hospital.org.id}"),
            mask_record_number(number), sex, self.clock.day_of(at).year - max(0, age),
            unit.abo, unit.rhd, department,
        )  # fmt: skip
        self.patients[slot] = patient
        return patient

    # --- one transfusion -------------------------------------------------------------------

    def _record(self, unit: UnitRef, hospital: Hospital, given: Transfused) -> None:
        rng, rates, writer, profile = self.rng, self.rates, self.writer, self.profile
        component, at = unit.component, given.started_at
        patient = self._patient(hospital, unit, at)
        department, surgical, _weights, indications = patient.department
        emergency = rng.random() < rates.emergency
        patient_abo, patient_rhd = patient.abo, patient.rhd
        if component == "red_cells":
            if unit.abo == "O" and rng.random() < rates.patient_group_unknown:
                patient_abo = patient_rhd = None
            elif (
                emergency
                and unit.rhd == "+"
                and rng.random() < rates.rhd_positive_emergency / (rates.emergency or 1)
            ):
                patient_rhd = "-"
        elif component == "platelets" and rng.random() < rates.platelets_abo_non_identical:
            patient_abo = rng.choice([g for g in ("O", "A", "B", "AB") if g != unit.abo])
        reason = "失血性休克，抢救" if emergency else None
        findings = rules.compatibility(
            component, unit_abo=unit.abo, unit_rhd=unit.rhd, patient_abo=patient_abo,
            patient_rhd=patient_rhd, emergency=emergency, emergency_reason=reason,
        )  # fmt: skip
        if any(f.refuses for f in findings):  # never given: the patient had the unit's group
            patient_abo, patient_rhd = unit.abo, unit.rhd
            findings = rules.compatibility(
                component, unit_abo=unit.abo, unit_rhd=unit.rhd, patient_abo=patient_abo,
                patient_rhd=patient_rhd, emergency=emergency, emergency_reason=reason,
            )  # fmt: skip
        findings += rules.emergency_flag(emergency, reason)
        doctor = None if rng.random() < rates.ordering_doctor_missing else self._staff(
            hospital.org.id, "D")  # fmt: skip
        findings += rules.ordering_doctor_flag(doctor is not None)
        approvals: list[tuple[str, tuple[str, str]]] = []
        needed = None
        if component == "red_cells":
            start = at - timedelta(hours=profile.approval_window_hours)
            patient.window = [w for w in patient.window if w[0] > start]
            earlier = sum(w[1] for w in patient.window)
            signed = set().union(*(w[2] for w in patient.window)) if patient.window else set()
            approvals.append(("senior_doctor", self._staff(hospital.org.id, "S")))
            for tier in rules.required_tiers(profile, earlier + (unit.counted_ml or 0)):
                chance = (rates.department_head_signed if tier == "department_head"
                          else rates.medical_department_signed)  # fmt: skip
                if tier not in signed and not emergency and rng.random() < chance:
                    approvals.append((tier, self._staff(hospital.org.id, "K")))
            tiers = frozenset(t for t, _s in approvals)
            needed = rules.approval(profile, counted=unit.counted_ml or 0, earlier_ml=earlier,
                                    signed=signed | tiers, emergency=emergency)  # fmt: skip
            findings += needed.findings
            patient.window.append((at, unit.counted_ml or 0, tiers))
        pre = self._pre(component)
        bleeding = surgical or department in ("消化内科", "急诊科")
        indication = None if rng.random() < rates.indication_missing else (
            rng.choice(PLASMA_INDICATIONS) if component == "plasma"
            else rng.choice(CRYO_INDICATIONS) if component == "cryo" else rng.choice(indications)
        )  # fmt: skip
        findings += rules.appropriateness(profile, component, pre, surgical=surgical,
                                          bleeding=bleeding, indication=indication)  # fmt: skip
        patient.last = at
        transfusion_id = writer.next_id("clinical_transfusion")
        reviewed_at = None
        if findings:
            reviewed_at = given.recorded_at + timedelta(
                days=rates.flags_reviewed_after_days, hours=rng.uniform(0, 48))  # fmt: skip
            if reviewed_at > self.clock.end:
                reviewed_at = None
        outcome = self._outcome(transfusion_id, hospital, patient, unit, given, pre)
        if outcome is not None:
            findings = [*findings, outcome]
        review = (REVIEWED if reviewed_at else REVIEW_OPEN) if findings else None
        writer.add("clinical_transfusion", (
            transfusion_id, hospital.org.id, unit.id, component, unit.abo, unit.rhd,
            unit.counted_ml, patient.key, patient.mask, patient.sex, patient.birth_year,
            rules.age_band(patient.birth_year, at.year), patient_abo, patient_rhd, department,
            f"{rng.randint(3, 18)}{rng.choice('ABC')}", indication, surgical, bleeding,
            pre.hb_g_l, pre.platelets_e9_l, pre.pt_ratio, pre.inr, pre.aptt_ratio,
            pre.fibrinogen_g_l, given.started_at, given.ended_at, unit.volume_ml,
            doctor[0] if doctor else None, doctor[1] if doctor else None, emergency,
            reason, False, needed.total_ml if needed else None,
            needed.required[-1] if needed and needed.required else None, review,
            OFFICER if reviewed_at else None, reviewed_at,
            "已审核" if reviewed_at else None,
            given.ended_at + timedelta(hours=profile.outcome_due_hours), given.recorded_at,
            OFFICER,
        ))  # fmt: skip
        self.transfusions += 1
        for tier, (key, mask) in approvals:
            writer.add("clinical_transfusion_approval", (
                writer.next_id("clinical_transfusion_approval"), transfusion_id, tier, key, mask,
            ))  # fmt: skip
        for finding in findings:
            if finding.refuses:
                continue
            raised = self._outcome_at if finding is outcome else given.recorded_at
            writer.add("clinical_transfusion_flag", (
                writer.next_id("clinical_transfusion_flag"), transfusion_id, hospital.org.id,
                finding.code, _storable(finding.facts), finding.report, raised,
            ))  # fmt: skip
        if rng.random() < rates.adverse_reaction:
            self._reaction(transfusion_id, hospital, given)

    def _pre(self, component: str) -> rules.PreValues:
        rng, rates = self.rng, self.rates
        if rng.random() < rates.pre_value_missing:
            return rules.PreValues()
        if component == "red_cells":
            high = rng.random() < rates.red_cells_hb_high
            return rules.PreValues(hb_g_l=float(rng.randint(101, 118) if high
                                                else rng.randint(50, 95)))  # fmt: skip
        if component == "platelets":
            high = rng.random() < rates.platelets_count_high
            return rules.PreValues(platelets_e9_l=float(rng.randint(110, 160) if high
                                                        else rng.randint(5, 18)))  # fmt: skip
        if component == "plasma":
            normal = rng.random() < rates.plasma_coagulation_normal
            inr = rng.uniform(1.0, 1.4) if normal else rng.uniform(2.1, 3.6)
            return rules.PreValues(inr=round(inr, 2), pt_ratio=round(inr * 0.9, 2))
        return rules.PreValues(fibrinogen_g_l=round(rng.uniform(0.5, 1.4), 2))

    def _outcome(self, transfusion_id, hospital, patient, unit, given, pre):
        """Red cells: a post-transfusion Hb a few hours after the end (when recorded), and
        the finding it gives when the rise per unit is below the profile's figure."""
        rng, rates = self.rng, self.rates
        if unit.component != "red_cells" or pre.hb_g_l is None:
            return None
        if rng.random() >= rates.outcome_recorded:
            return None
        measured = given.ended_at + timedelta(hours=rng.uniform(2, 20))
        recorded = measured + timedelta(minutes=rng.uniform(20, 180))
        if recorded > self.clock.end:
            return None
        units = (unit.counted_ml or 0) / self.profile.ml_per_unit
        ineffective = rng.random() < rates.red_cells_ineffective
        rise = rng.uniform(0, 2) if ineffective else rng.uniform(4, 7)
        post = round(pre.hb_g_l + rise * units, 1)
        effect = rules.red_cell_effect(self.profile, pre_hb=pre.hb_g_l, post_hb=post,
                                       units=units)  # fmt: skip
        self.writer.add("clinical_transfusion_outcome", (
            self.writer.next_id("clinical_transfusion_outcome"), transfusion_id,
            hospital.org.id, patient.key, "red_cells", given.started_at, measured, post, None,
            None, None, None, None, units, effect.increment, effect.cci, effect.ineffective,
            effect.basis, recorded, OFFICER,
        ))  # fmt: skip
        self._outcome_at = recorded
        return effect.finding

    def _reaction(self, transfusion_id: int, hospital: Hospital, given: Transfused) -> None:
        rng = self.rng
        category = rng.choices(*zip(*CATEGORIES, strict=True))[0]
        severity = 2 if category == "tti" else rng.choices(*zip(*SEVERITY, strict=True))[0]
        window = self.profile.reaction_windows.get(category)
        low = window.low if window else 0.0
        high = window.high if window and window.high is not None else (
            low + WINDOW_HOURS_FALLBACK)  # fmt: skip
        onset = given.ended_at + timedelta(hours=rng.uniform(low, min(high, low + 72)))
        recorded = max(onset, given.recorded_at) + timedelta(hours=rng.uniform(0.5, 12))
        if recorded > self.clock.end:
            return
        outcome = ("death" if severity == 4 else "major_sequelae" if severity == 3 and
                   rng.random() < 0.3 else "minor_or_none")  # fmt: skip
        reaction_id = self.writer.next_id("clinical_adverse_reaction")
        self.writer.add("clinical_adverse_reaction", (
            reaction_id, hospital.org.id, category, severity,
            rng.choices(*zip(*IMPUTABILITY, strict=True))[0], outcome, onset,
            rules.alert_required(category, severity), None, recorded, OFFICER,
        ))  # fmt: skip
        self.writer.add("clinical_reaction_transfusion", (reaction_id, transfusion_id))


def _storable(facts) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in facts.items()}
