"""The follow-up of the clinical demo's past records (``demo_clinical_past``): post-transfusion
values and their effect (one missing), the committee's reviews of older flags, and a few
adverse reactions (one life-threatening, so alerted)."""

from __future__ import annotations

from datetime import timedelta

from blood.clinical import rules
from blood.clinical.models import (
    REVIEW_OPEN,
    REVIEWED,
    AdverseReaction,
    ReactionTransfusion,
    TransfusionOutcome,
)
from blood.clinical.service.transfusions import add_flags


def write_outcomes(session, rng, profile, hospital, officer, records, now) -> None:
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


def write_reviews(session, records, officer, now) -> None:
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


def write_reactions(session, rng, hospital, officer, records, now) -> None:
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
