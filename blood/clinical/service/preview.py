"""What recording a transfusion would do, with nothing written: the page asks the user to
confirm (transfusing is destructive: the unit leaves stock for good) and shows what the record
will be and the flags it will carry.

``preview_transfusion`` reads the same facts and runs the same ``transfusions.plan`` as
``record_transfusion``, so a record the rules refuse is refused before the question is asked,
and the answer to the question is recorded by ``record_transfusion`` itself (which checks
everything again: the unit may have moved meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role
from blood.clinical import rules
from blood.clinical.service.common import (
    HOSPITALS,
    mask_record_number,
    patient_key_at,
    profile_of,
)
from blood.clinical.service.recording import read_one
from blood.clinical.service.transfusions import TransfusionInput, plan
from blood.db import utcnow
from blood.errors import Forbidden
from blood.stock.models import Unit


@dataclass(frozen=True)
class TransfusionPreview:
    """The record ``record_transfusion`` would write for the same input."""

    unit: Unit
    patient_mask: str
    volume_given_ml: int
    flags: list[rules.Finding]


def preview_transfusion(
    *, session: Session, actor: Actor, data: TransfusionInput
) -> TransfusionPreview:
    """Every check of ``record_transfusion`` (raising the refusal it would raise), and nothing
    written."""
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
    item = plan(
        session=session,
        actor=actor,
        hospital=hospital,
        data=data,
        facts=facts,
        key=key,
        window=lambda _key, _at: window,
        now=utcnow(),
        profile=profile,
        count_refusal=False,
    )
    return TransfusionPreview(
        unit=item.unit,
        patient_mask=mask_record_number(data.patient_record_number),
        volume_given_ml=data.volume_given_ml,
        flags=list(item.flags),
    )
