"""Opening a look-back case: find the donor's donations in the window and all their units,
then, in the caller's one transaction (audited): block every unit still in stock anywhere,
send a recall notice for plasma already shipped and a recipient notice for every unit already
transfused.

The block is the stock's own guarded transition (``Action.BLOCK``: one conditional UPDATE per
holder) and the plasma station's guarded UPDATE: a transfusion, issue, shipment or release
racing the block either committed first (the unit is then found transfused, issued and
blocked, shipped or released and blocked) or finds the unit blocked and is refused with the
reason. What each unit is after the block is read again, so the case lists what really
happened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from blood import audit, isbt128
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, require_role
from blood.clinical.models import ReactionTransfusion, Transfusion
from blood.db import utcnow
from blood.donors.models import LookbackTrigger
from blood.errors import NotFound, ValidationFailed
from blood.plasma.models import Collection, LabResult, Shipment, ShipmentItem
from blood.sequences import next_value
from blood.stock.models import BloodDonation, BloodTestResult, Unit
from blood.stock.service.usage import local_day
from blood.trace.models import CaseUnit, LookbackCase, Notice
from blood.trace.rules import DEFAULT_WINDOW_MONTHS, TestedDonation, window_start
from blood.trace.service.blocking import block_components as _components
from blood.trace.service.blocking import block_plasma as _plasma
from blood.trace.service.blocking import unit_label as _label
from blood.validation_messages import describe_invalid_din

# How long a receiver has to acknowledge a notice before supervision raises an alert.
NOTICE_DUE = {
    "recall": timedelta(hours=24),
    "hold": timedelta(hours=24),
    "recipient": timedelta(hours=72),
}
PLASMA_MARKERS = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")


@dataclass(frozen=True)
class _Donation:
    kind: str  # "plasma" | "blood"
    id: int
    din: str
    at: datetime
    organisation_id: int
    negatives: frozenset[str]


def donations_of(session: Session, donor_id: int) -> list[_Donation]:
    """Every donation of the donor, plasma and blood, with the markers it tested negative
    for (three queries)."""
    found: list[_Donation] = []
    for collection, lab in session.exec(
        select(Collection, LabResult)
        .outerjoin(LabResult, LabResult.collection_id == Collection.id)
        .where(Collection.donor_id == donor_id)
    ).all():
        negatives = frozenset(
            m for m in PLASMA_MARKERS if lab is not None and getattr(lab, m) == "negative"
        )
        found.append(
            _Donation(
                "plasma",
                collection.id,
                collection.din,
                collection.started_at,
                collection.station_id,
                negatives,
            )
        )
    donations = session.exec(select(BloodDonation).where(BloodDonation.donor_id == donor_id)).all()
    negative: dict[int, set[str]] = defaultdict(set)
    if donations:
        for donation_id, marker in session.exec(
            select(BloodTestResult.donation_id, BloodTestResult.marker).where(
                BloodTestResult.donation_id.in_([d.id for d in donations]),
                BloodTestResult.result == "negative",
            )
        ).all():
            negative[donation_id].add(marker)
    for d in donations:
        found.append(
            _Donation("blood", d.id, d.din, d.collected_at, d.centre_id, frozenset(negative[d.id]))
        )
    return sorted(found, key=lambda d: d.at)


def open_case(
    *,
    session: Session,
    actor: Actor,
    donor_id: int,
    origin: str,
    organisation: Organisation,
    index_din: str,
    markers: Sequence[str] = (),
    trigger: LookbackTrigger | None = None,
    reaction_id: int | None = None,
    window_months: int = DEFAULT_WINDOW_MONTHS,
    note: str | None = None,
    now: datetime | None = None,
) -> LookbackCase:
    """Open the case, block what is in stock, notify whoever must act. The caller commits."""
    now = now or utcnow()
    session.flush()  # what the caller changed (a unit just destroyed) is what the UPDATEs see
    donations = donations_of(session, donor_id)
    index = next((d for d in donations if d.din == index_din), None)
    index_at = index.at if index is not None else now
    start = window_start(
        [TestedDonation(d.din, d.at, d.negatives) for d in donations],
        index_at=index_at,
        markers=markers,
        months=window_months,
    )
    traced = [d for d in donations if d.at >= start]
    case = LookbackCase(
        number=f"LB-{next_value(session, 'lookback_case'):06d}",
        donor_id=donor_id,
        origin=origin,
        markers=list(markers),
        index_din=index_din,
        trigger_id=trigger.id if trigger is not None else None,
        reaction_id=reaction_id,
        organisation_id=organisation.id,
        window_months=window_months,
        window_from=start,
        note=note,
        opened_at=now,
        opened_by_id=actor.user_id,
        opened_by=actor.name,
    )
    session.add(case)
    session.flush()
    rows = _components(session, actor, case, [d for d in traced if d.kind == "blood"], now)
    rows += _plasma(session, actor, case, [d for d in traced if d.kind == "plasma"], now)
    session.add_all(rows)
    session.flush()
    notices = _notices(session, case, rows, now)
    session.add_all(notices)
    if trigger is not None:
        trigger.status = "traced"
        session.add(trigger)
    audit.record(
        session,
        actor,
        "lookback.open",
        case,
        organisation=organisation,
        changes={
            "number": [None, case.number],
            "origin": [None, origin],
            "donations": [None, [d.din for d in traced]],
            "blocked": [None, [_label(r) for r in rows if r.outcome == "blocked"]],
            "notices": [None, len(notices)],
        },
    )
    return case


def _notices(session: Session, case: LookbackCase, rows: list[CaseUnit], now: datetime) -> list:
    notices = []
    transfused = [r.unit_id for r in rows if r.outcome == "transfused"]
    given = {}
    if transfused:
        given = {
            t.unit_id: t
            for t in session.exec(select(Transfusion).where(Transfusion.unit_id.in_(transfused)))
        }
    shipped = [r.collection_id for r in rows if r.outcome == "shipped"]
    shipments = {}
    if shipped:
        shipments = {
            item.collection_id: shipment
            for item, shipment in session.exec(
                select(ShipmentItem, Shipment)
                .join(Shipment, Shipment.id == ShipmentItem.shipment_id)
                .where(ShipmentItem.collection_id.in_(shipped))
            )
        }
    for row in rows:
        if row.outcome == "transfused" and row.unit_id in given:
            transfusion = given[row.unit_id]
            hospital = session.get(Organisation, transfusion.hospital_id)
            row.holder_id = hospital.id
            notices.append(
                Notice(
                    case_id=case.id,
                    case_unit_id=row.id,
                    kind="recipient",
                    receiver_id=hospital.id,
                    din=row.din,
                    product_code=row.product_code,
                    patient_mask=transfusion.patient_mask,
                    transfused_on=local_day(transfusion.started_at, hospital.timezone),
                    department=transfusion.department,
                    created_at=now,
                    due_at=now + NOTICE_DUE["recipient"],
                )
            )
        elif row.outcome == "shipped" and row.collection_id in shipments:
            shipment = shipments[row.collection_id]
            row.holder_id = shipment.manufacturer_id
            notices.append(
                Notice(
                    case_id=case.id,
                    case_unit_id=row.id,
                    kind="recall",
                    receiver_id=shipment.manufacturer_id,
                    din=row.din,
                    shipment_number=shipment.number,
                    created_at=now,
                    due_at=now + NOTICE_DUE["recall"],
                )
            )
        elif row.outcome == "blocked" and row.holder_id not in (
            case.organisation_id,
            row.collector_id,
        ):
            # Blocked in another organisation's stock (a hospital): it must pull the bag.
            notices.append(
                Notice(
                    case_id=case.id,
                    case_unit_id=row.id,
                    kind="hold",
                    receiver_id=row.holder_id,
                    din=row.din,
                    product_code=row.product_code,
                    created_at=now,
                    due_at=now + NOTICE_DUE["hold"],
                )
            )
        session.add(row)
    return notices


# --- how a case is opened ---------------------------------------------------------------------


def open_for_trigger(
    *, session: Session, trigger: LookbackTrigger, actor: Actor | None = None
) -> LookbackCase:
    """A laboratory's reactive result (``LOOKBACK_OPENED``)."""
    return open_case(
        session=session,
        actor=actor or Actor.system("lookback"),
        donor_id=trigger.donor_id,
        origin="reactive_test",
        organisation=session.get(Organisation, trigger.organisation_id),
        index_din=trigger.din,
        markers=list(trigger.markers or ()),
        trigger=trigger,
    )


def open_for_reaction(
    *, session: Session, reaction_id: int, hospital_id: int, now: datetime | None = None
) -> list[LookbackCase]:
    """A hospital reported a transfusion-transmitted infection: one case per donor of the
    units given."""
    given = session.exec(
        select(Unit.din, BloodDonation.donor_id)
        .join(Transfusion, Transfusion.unit_id == Unit.id)
        .join(ReactionTransfusion, ReactionTransfusion.transfusion_id == Transfusion.id)
        .join(BloodDonation, BloodDonation.din == Unit.din)
        .where(ReactionTransfusion.reaction_id == reaction_id)
        .order_by(Unit.din)
    ).all()
    hospital = session.get(Organisation, hospital_id)
    cases, seen = [], set()
    for din, donor_id in given:
        if donor_id in seen:
            continue
        seen.add(donor_id)
        cases.append(
            open_case(
                session=session,
                actor=Actor.system("lookback"),
                donor_id=donor_id,
                origin="tti_report",
                organisation=hospital,
                index_din=din,
                reaction_id=reaction_id,
                now=now,
            )
        )
    return cases


@dataclass(frozen=True)
class ManualCaseInput:
    din: str
    markers: list[str]
    window_months: int = DEFAULT_WINDOW_MONTHS
    note: str | None = None


def open_manual_case(*, session: Session, actor: Actor, data: ManualCaseInput) -> LookbackCase:
    """The quality manager of a station or centre opens a case on one of its donations."""
    require_role(actor, Role.QUALITY)
    if actor.organisation_kind not in (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE):
        raise NotFound()
    try:
        din = isbt128.parse_din(data.din).din
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [describe_invalid_din(error)]}) from None
    donor_id = (
        session.exec(
            select(Collection.donor_id).where(
                Collection.din == din, Collection.station_id == actor.organisation_id
            )
        ).first()
        or session.exec(
            select(BloodDonation.donor_id).where(
                BloodDonation.din == din, BloodDonation.centre_id == actor.organisation_id
            )
        ).first()
    )
    if donor_id is None:
        raise NotFound()
    return open_case(
        session=session,
        actor=actor,
        donor_id=donor_id,
        origin="manual",
        organisation=session.get(Organisation, actor.organisation_id),
        index_din=din,
        markers=data.markers,
        window_months=data.window_months,
        note=data.note,
    )
