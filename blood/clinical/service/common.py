"""What the clinical services share: who may record and read, the keyed hashes and masks of
patients' record numbers and staff ids, the rule profile from the settings, and cursors over
the server's record time."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import pii, settings
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import (
    Actor,
    acting_organisation,
    require_role,
    require_visible_org,
    visible_org_ids,
)
from blood.clinical import rules
from blood.clinical.messages import refusal
from blood.clinical.models import (
    Transfusion,
    TransfusionApproval,
    TransfusionFlag,
    TransfusionOutcome,
)
from blood.db import utcnow
from blood.errors import NotFound
from blood.stock.models import Unit

T = TypeVar("T")

# Who records clinical use (a hospital), and who reads it (the hospital, or an authority over
# its jurisdiction).
HOSPITALS = (OrgKind.HOSPITAL,)
READERS = (OrgKind.HOSPITAL, OrgKind.AUTHORITY)
# A time a little ahead of the server's clock is a clock that runs fast, not the future.
CLOCK_SKEW = timedelta(minutes=5)


def acting_hospital(*, session: Session, actor: Actor) -> Organisation:
    """The hospital the actor acts for (Forbidden otherwise)."""
    return acting_organisation(session, actor, *HOSPITALS)


def recording_hospital(*, session: Session, actor: Actor) -> Organisation:
    """The hospital the actor records clinical use for: its transfusion officer (or its
    information system's token)."""
    require_role(actor, Role.TRANSFUSION_OFFICER)
    return acting_hospital(session=session, actor=actor)


def acting_reader(*, session: Session, actor: Actor) -> Organisation:
    """A hospital (its own records) or an authority (its jurisdiction's)."""
    return acting_organisation(session, actor, *READERS)


def may_record(actor: Actor | None) -> bool:
    """Whether the pages offer the forms that record (the services refuse on the same rule)."""
    return (
        actor is not None
        and actor.organisation_kind in HOSPITALS
        and actor.has_role(Role.TRANSFUSION_OFFICER)
    )


def scope(
    statement: Any, column: Any, *, session: Session, actor: Actor, hospital: str | None = None
) -> Any:
    """Rows of the hospitals the actor may see: its own, or its jurisdiction's; narrowed to
    one hospital of its scope by code (not found otherwise)."""
    acting_reader(session=session, actor=actor)
    statement = statement.where(column.in_(visible_org_ids(actor)))
    if hospital:
        org = require_visible_org(session, actor, hospital.strip().upper())
        if org.kind != OrgKind.HOSPITAL:
            raise NotFound(code=hospital)
        statement = statement.where(column == org.id)
    return statement


def profile_of(session: Session) -> rules.Profile:
    """The deployment's clinical profile: cn-clinical with the figures of ``Settings``."""
    figures = settings.of(session)
    return replace(
        rules.CN_CLINICAL,
        ml_per_unit=figures.clinical_ml_per_unit,
        approval_tiers_ml=tuple(figures.clinical_approval_tiers_ml),
        approval_window_hours=figures.clinical_approval_window_hours,
        red_cells_max_hb_g_l=figures.clinical_red_cells_max_hb_g_l,
        platelets_max_surgical=figures.clinical_platelets_max_surgical,
        platelets_max_medical=figures.clinical_platelets_max_medical,
        plasma_min_ratio=figures.clinical_plasma_min_ratio,
        plasma_min_inr=figures.clinical_plasma_min_inr,
        cryo_max_fibrinogen_g_l=figures.clinical_cryo_max_fibrinogen_g_l,
        outcome_window_hours=figures.clinical_outcome_window_hours,
        outcome_due_hours=figures.clinical_outcome_due_hours,
        hb_min_rise_per_unit_g_l=figures.clinical_hb_min_rise_per_unit_g_l,
        cci_min_early=figures.clinical_cci_min_early,
        cci_early_hours=figures.clinical_cci_early_hours,
        cci_min_late=figures.clinical_cci_min_late,
        apheresis_platelet_dose_e11=figures.clinical_apheresis_platelet_dose_e11,
    )


# --- patients' record numbers and staff ids ------------------------------------------------------


def patient_key(*, session: Session, hospital: Organisation, number: str) -> str:
    """The keyed hash of a patient record number at one hospital: the same number at another
    hospital (another patient) gives an unrelated key, and nobody without the deployment's
    key can find a patient by their number."""
    return patient_key_at(session=session, hospital_id=hospital.id, number=number)


def patient_key_at(*, session: Session, hospital_id: int | None, number: str) -> str:
    """``patient_key`` by the hospital's id (before the hospital itself is read)."""
    return settings.of(session).vault.lookup_key(number, purpose=f"patient:{hospital_id}")


def staff_key(*, session: Session, hospital: Organisation, staff_id: str) -> str:
    return settings.of(session).vault.lookup_key(staff_id, purpose=f"staff:{hospital.id}")


def _mask(value: str, keep: int) -> str:
    value = pii.normalise(value)
    if len(value) <= keep + 2:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def mask_record_number(value: str) -> str:
    """Only the last 3 characters show (the last 2 of a short number; none of a very short
    one): enough to tell a ward's patients apart, not to find one elsewhere."""
    return _mask(value, 3 if len(pii.normalise(value)) >= 7 else 2)[-32:]


def mask_staff_id(value: str) -> str:
    return _mask(value, 2)[-16:]


# --- times ---------------------------------------------------------------------------------------


def not_in_future(when: datetime, field: str, *, now: datetime | None = None) -> None:
    if when > (now or utcnow()) + CLOCK_SKEW:
        raise refusal("time_in_future", field=field)


# --- a transfusion as pages and the API show it ------------------------------------------------


@dataclass
class TransfusionDetail:
    """A transfusion with what its pages and the API show beside it."""

    transfusion: Transfusion
    unit: Unit
    hospital: Organisation
    approvals: list[TransfusionApproval] = field(default_factory=list)
    flags: list[TransfusionFlag] = field(default_factory=list)
    outcomes: list[TransfusionOutcome] = field(default_factory=list)
    reactions: list[int] = field(default_factory=list)


# --- cursors over the server's record time -------------------------------------------------------


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """Records in the order the server recorded them, after a cursor. ``next_cursor`` is the
    position after the last record returned (the cursor given when none came): keep it and
    send it next time; ``has_more``: send it now for the rest."""

    items: list[T]
    next_cursor: str | None
    has_more: bool


DEFAULT_LIMIT = 100
MAX_LIMIT = 500


def encode_cursor(kind: str, at: datetime, row_id: int) -> str:
    raw = json.dumps([kind, at.isoformat(), row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, text: str) -> tuple[datetime, int]:
    """The position a cursor names; a cursor the server did not give (or of another list)
    is refused."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        tag, at, row_id = json.loads(raw)
        when = datetime.fromisoformat(at)
        if tag != kind or when.tzinfo is None or not isinstance(row_id, int) or row_id < 0:
            raise ValueError(text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise refusal("bad_cursor") from None
    return when, row_id


def cursor_page(
    session: Session,
    statement: sa.Select,
    *,
    kind: str,
    at_column: Any,
    id_column: Any,
    since: datetime | None,
    cursor: str | None,
    limit: int | None,
    load: Callable[[Session, list[Any]], list[Any]],
) -> CursorPage:
    """One page of ``statement`` in ascending (record time, id) — the two columns of its rows
    — from ``since`` and after ``cursor``, its rows turned into what the reads answer by
    ``load`` (which reads what they refer to for the whole page at once)."""
    size = min(max(int(limit or DEFAULT_LIMIT), 1), MAX_LIMIT)
    if since is not None:
        statement = statement.where(at_column >= since)
    if cursor:
        at, row_id = decode_cursor(kind, cursor)
        statement = statement.where(
            sa.or_(at_column > at, sa.and_(at_column == at, id_column > row_id))
        )
    rows = list(session.exec(statement.order_by(at_column, id_column).limit(size + 1)).all())
    has_more = len(rows) > size
    rows = rows[:size]
    if rows:
        last = rows[-1]
        next_cursor = encode_cursor(
            kind, getattr(last, at_column.key), getattr(last, id_column.key)
        )
    else:
        next_cursor = cursor
    return CursorPage(load(session, rows), next_cursor, has_more)


def scoped_one(
    *, session: Session, actor: Actor, model: Any, row_id: int, organisation_column: Any
) -> Any:
    """The row of ``model`` with this id if the actor may see it (its organisation's own; an
    authority's jurisdiction); any other answers "not found", as if it did not exist."""
    statement = scope(
        select(model).where(model.id == row_id),
        organisation_column,
        session=session,
        actor=actor,
    )
    found = session.exec(statement).first()
    if found is None:
        raise NotFound()
    return found


def by_id(session: Session, model: Any, ids: Sequence[int]) -> dict[int, Any]:
    """Rows of `model` by id, in one query."""
    if not ids:
        return {}
    rows = session.exec(select(model).where(model.id.in_(set(ids)))).all()
    return {row.id: row for row in rows}
