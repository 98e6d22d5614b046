"""Recording a transfusion: the one way a hospital's unit becomes transfused.

``record_transfusion`` checks the unit (at this hospital, received, not expired, not used),
the ABO/RhD rules, the approval the patient's volume needed and the appropriateness of the
pre-transfusion values; refuses what the rules refuse (nothing is written); keeps everything
else with its flags; and moves the unit through the stock's guarded transition. ``plan`` is
every rule for one item, from facts read beforehand: a single record reads them in one
statement, ``service.batch`` for up to 1,000 at once; both write through
``service.recording`` (a dozen statements for one record, about as many for a thousand).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role
from blood.clinical import rules
from blood.clinical.messages import refusal
from blood.clinical.models import (
    REVIEW_OPEN,
    RefusedTransfusion,
    Transfusion,
    TransfusionApproval,
    TransfusionFlag,
)
from blood.clinical.service.common import (
    HOSPITALS,
    TransfusionDetail,
    mask_record_number,
    mask_staff_id,
    not_in_future,
    patient_key_at,
    profile_of,
    staff_key,
)
from blood.clinical.service.recording import (
    Facts,
    Plan,
    Window,
    claim,
    complete,
    flag_rows,
    read_one,
)
from blood.db import keep_after_refusal, utcnow
from blood.errors import Forbidden, NotFound, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import Unit


@dataclass(frozen=True)
class ApprovalInput:
    tier: str
    staff_id: str


@dataclass(frozen=True)
class TransfusionInput:
    """One unit given to one patient, as the API and the form give it."""

    din: str
    product_code: str
    patient_record_number: str
    department: str
    started_at: datetime
    ended_at: datetime
    volume_given_ml: int
    division: str = "00"
    reference: str | None = None
    patient_sex: str | None = None
    patient_birth_year: int | None = None
    patient_age_band: str | None = None
    patient_abo: str | None = None
    patient_rhd: str | None = None
    ward: str | None = None
    indication: str | None = None
    surgical: bool = False
    bleeding: bool = False
    pre: rules.PreValues = field(default_factory=rules.PreValues)
    ordering_doctor: str | None = None
    approvals: tuple[ApprovalInput, ...] = ()
    emergency: bool = False
    emergency_reason: str | None = None
    autologous: bool = False

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> TransfusionInput:
        """From the loaded shape (``schemas.TransfusionIn``)."""
        values = dict(data)
        pre = rules.PreValues(
            **{name: values.pop(f"pre_{name}", None) for name in _PRE_FIELDS},
        )
        approvals = tuple(ApprovalInput(**a) for a in values.pop("approvals", ()))
        return cls(pre=pre, approvals=approvals, **values)


_PRE_FIELDS = ("hb_g_l", "platelets_e9_l", "pt_ratio", "inr", "aptt_ratio", "fibrinogen_g_l")


# --- the checks, in the order a single request makes them ---------------------------------------


def _check_facts(data: TransfusionInput, now: datetime) -> str | None:
    """The record's own facts: times in order and not ahead of now, the age band."""
    not_in_future(data.started_at, "started_at", now=now)
    not_in_future(data.ended_at, "ended_at", now=now)
    if data.ended_at < data.started_at:
        raise refusal("ended_before_started")
    band = data.patient_age_band
    if data.patient_birth_year is not None:
        if data.patient_birth_year > data.started_at.year:
            raise ValidationFailed({"patient_birth_year": [_("Later than the transfusion.")]})
        derived = rules.age_band(data.patient_birth_year, data.started_at.year)
        if band is not None and band != derived:
            raise refusal("age_band_mismatch", birth_year=data.patient_birth_year, age_band=band)
        band = derived
    return band


def _duplicate_reference(reference: str | None, existing: Any) -> None:
    """`existing`: the hospital's record that already has this reference (its id), if any."""
    if reference and existing is not None:
        raise refusal("duplicate_reference", reference=reference, existing=existing)


def _check_unit(unit: Unit, state: str, at: datetime, transfused_by: Any) -> None:
    """The stock's state machine refuses most of these too: here they are said in clinical
    words before anything is written. `state`: the unit's, as this item finds it."""
    state = UnitState(state)
    if state is UnitState.TRANSFUSED:
        raise refusal("unit_already_transfused", unit=unit.label, transfusion=transfused_by)
    if state is UnitState.ISSUED:
        raise refusal("unit_not_received", unit=unit.label)
    if state is UnitState.ON_HOLD:
        raise refusal("unit_on_hold", unit=unit.label)
    if state is UnitState.BLOCKED:
        raise refusal("unit_blocked", unit=unit.label)
    if unit.expires_at <= at:
        raise refusal("unit_expired", unit=unit.label, expired=unit.expires_at.date().isoformat())
    if state is UnitState.EXPIRED:
        # Given before its expiry, but marked expired (the daily job) before the record came:
        # the stock's state machine has no way back from "expired".
        raise refusal(
            "unit_marked_expired", unit=unit.label, expired=unit.expires_at.date().isoformat()
        )
    if state is not UnitState.RECEIVED:
        raise refusal("unit_not_in_stock", unit=unit.label, state=str(stock.STATE_WORDS[state]))
    if at < unit.collected_at:
        raise refusal("started_before_collection", collected=unit.collected_at.isoformat())


def assess(
    profile: rules.Profile,
    *,
    unit: Unit,
    data: TransfusionInput,
    counted: int | None,
    earlier_ml: int,
    signed: Iterable[str],
) -> tuple[list[rules.Finding], rules.Approval | None]:
    """Every rule for one transfusion: the findings (refusals first) and, for red cells,
    the approval it needed."""
    findings = rules.compatibility(
        unit.component,
        unit_abo=unit.abo,
        unit_rhd=unit.rhd,
        patient_abo=data.patient_abo,
        patient_rhd=data.patient_rhd,
        emergency=data.emergency,
        emergency_reason=data.emergency_reason,
    )
    findings += rules.emergency_flag(data.emergency, data.emergency_reason)
    findings += rules.ordering_doctor_flag(bool(data.ordering_doctor))
    needed = None
    if unit.component == "red_cells" and counted is not None:
        needed = rules.approval(
            profile,
            counted=counted,
            earlier_ml=earlier_ml,
            signed=set(signed) | {a.tier for a in data.approvals},
            emergency=data.emergency,
        )
        findings += needed.findings
    findings += rules.appropriateness(
        profile,
        unit.component,
        data.pre,
        surgical=data.surgical,
        bleeding=data.bleeding,
        indication=data.indication,
    )
    findings.sort(key=lambda f: not f.refuses)
    return findings, needed


# --- one item: every rule, then the record to write ---------------------------------------------


def plan(
    *,
    session: Session,
    actor: Actor,
    hospital: Organisation,
    data: TransfusionInput,
    facts: Facts,
    key: str,
    window: Window,
    now: datetime,
    profile: rules.Profile,
    index: int = 0,
    state: str | None = None,
    count_refusal: bool = True,
) -> Plan:
    """Every check and rule for one item, from its facts (``key``: the patient's; ``window``
    gives the patient's earlier red cells; ``state``: the unit's, when an earlier item of a
    batch changed it): the record to write, or the refusal a single request gets."""
    band = _check_facts(data, now)
    _duplicate_reference(data.reference, facts.same_reference)
    if facts.din_error is not None:
        raise facts.din_error
    unit = facts.unit
    if unit is None:
        # Not in this hospital's stock: another hospital's unit is none of its business.
        raise NotFound()
    _check_unit(unit, state or unit.state, data.started_at, facts.transfused_by)

    counted = None
    earlier_ml, signed = 0, set()
    if unit.component == "red_cells":
        counted = rules.counted_ml(
            source_ml=facts.source_ml, unit_ml=unit.volume_ml, ml_per_unit=profile.ml_per_unit
        )
        earlier_ml, signed = window(key, data.started_at)
    findings, needed = assess(
        profile, unit=unit, data=data, counted=counted, earlier_ml=earlier_ml, signed=signed
    )
    refused = [f for f in findings if f.refuses]
    if refused:
        if count_refusal:  # the attempt is a fact supervision counts (not a preview's)
            keep_after_refusal(
                session,
                RefusedTransfusion.__table__,
                {"hospital_id": hospital.id, "code": refused[0].code,
                 "component": unit.component, "at": now},
            )  # fmt: skip
        raise refusal(refused[0].code, **refused[0].facts)

    doctor = data.ordering_doctor
    transfusion = Transfusion(
        hospital_id=hospital.id,
        unit_id=unit.id,
        reference=data.reference,
        component=unit.component,
        unit_abo=unit.abo,
        unit_rhd=unit.rhd,
        counted_ml=counted,
        patient_key=key,
        patient_mask=mask_record_number(data.patient_record_number),
        patient_sex=data.patient_sex,
        patient_birth_year=data.patient_birth_year,
        patient_age_band=band,
        patient_abo=data.patient_abo,
        patient_rhd=data.patient_rhd,
        department=data.department,
        ward=data.ward,
        indication=data.indication,
        surgical=data.surgical,
        bleeding=data.bleeding,
        **{f"pre_{name}": getattr(data.pre, name) for name in _PRE_FIELDS},
        started_at=data.started_at,
        ended_at=data.ended_at,
        volume_given_ml=data.volume_given_ml,
        ordering_doctor_key=(
            staff_key(session=session, hospital=hospital, staff_id=doctor) if doctor else None
        ),
        ordering_doctor_mask=mask_staff_id(doctor) if doctor else None,
        emergency=data.emergency,
        emergency_reason=data.emergency_reason if data.emergency else None,
        autologous=data.autologous,
        window_total_ml=needed.total_ml if needed else None,
        required_approval=needed.required[-1] if needed and needed.required else None,
        review_status=REVIEW_OPEN if findings else None,
        outcome_due_at=data.ended_at + timedelta(hours=profile.outcome_due_hours),
        recorded_at=now,
        recorded_by_id=actor.user_id,
        recorded_by=actor.name,
    )
    approvals = [
        TransfusionApproval(
            tier=approval.tier,
            staff_key=staff_key(session=session, hospital=hospital, staff_id=approval.staff_id),
            staff_mask=mask_staff_id(approval.staff_id),
        )
        for approval in data.approvals
    ]
    return Plan(index, unit, transfusion, approvals, findings)


# --- recording one -------------------------------------------------------------------------------


def record_transfusion(*, session: Session, actor: Actor, data: TransfusionInput) -> Transfusion:
    """Record one unit given to one patient at the actor's hospital (see the module)."""
    return record_transfusion_detail(session=session, actor=actor, data=data).transfusion


def record_transfusion_detail(
    *, session: Session, actor: Actor, data: TransfusionInput
) -> TransfusionDetail:
    """``record_transfusion``, answering with the record as the API shows it (approvals and
    flags included, nothing read back). One statement reads everything the rules need; the
    writes are ``recording.claim`` and ``recording.complete``."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    if actor.organisation_id is None:
        raise Forbidden()
    profile = profile_of(session)
    key = patient_key_at(
        session=session, hospital_id=actor.organisation_id, number=data.patient_record_number
    )
    hospital, facts, window = read_one(
        session=session, actor=actor, data=data, key=key, hours=profile.approval_window_hours
    )
    if hospital is None or OrgKind(hospital.kind) not in HOSPITALS:
        raise Forbidden()
    now = utcnow()
    item = plan(
        session=session,
        actor=actor,
        hospital=hospital,
        data=data,
        facts=facts,
        key=key,
        window=lambda _key, _at: window,
        now=now,
        profile=profile,
    )
    moves, failed = claim(session=session, hospital=hospital, plans=[item])
    if failed:
        raise failed[item.index]
    return complete(
        session=session, actor=actor, hospital=hospital, moves=moves, plans=[item], now=now
    )[0]


def add_flags(
    session: Session,
    transfusion: Transfusion,
    findings: Iterable[rules.Finding],
    *,
    now: datetime | None = None,
) -> list[TransfusionFlag]:
    """Keep the flags of a transfusion (and open its review when any came)."""
    flags = flag_rows(transfusion, findings, now=now or utcnow())
    session.add_all(flags)
    if flags and transfusion.review_status != REVIEW_OPEN:
        transfusion.review_status = REVIEW_OPEN
        session.add(transfusion)
    return flags
