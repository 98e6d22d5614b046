"""Vein to vein: from a DIN, the donation (its donor masked, its tests), every component or
plasma unit made from it and every step of each as a timeline; from a donor, every donation.

Scoped by links of the chain: each step belongs to the organisations that took part in it (a
blood centre's issue is the centre's; the hospital's receipt, transfusion, return or discard
the hospital's; a plasma shipment the station's and the manufacturer's). An organisation sees
its own steps (a hospital: the unit from its receipt on, with the DIN and the product); an
authority every step of the organisations in its jurisdiction, and the donation when it was
collected there. Nothing visible: "not found".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import get_locale
from sqlmodel import Session, select

from blood import isbt128
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor, visible_org_ids
from blood.clinical.models import Transfusion
from blood.donors.models import Donor
from blood.errors import NotFound, ValidationFailed
from blood.plasma.models import Collection, LabResult, Shipment, ShipmentItem
from blood.plasma.models import UnitState as PlasmaState
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, BloodTestResult, ProductCode, Unit, UnitMovement
from blood.stock.service.markers import RESULT_WORDS, marker_label
from blood.stock.service.unit_words import DISCARD_REASONS, STATE_WORDS
from blood.trace.models import CaseUnit, LookbackCase
from blood.trace.service.words import (
    DONATION_KIND_WORDS,
    EVENT_WORDS,
    PLASMA_STATE_WORDS,
    donor_mask,
)
from blood.validation_messages import describe_invalid_din


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    text: str
    unit: str | None  # the unit's label; None: the donation's own step
    parties: frozenset[int]
    # A transfusion's facts: the department, the patient's pseudonym (never the number).
    department: str | None = None
    patient_mask: str | None = None


@dataclass
class UnitTrace:
    kind: str  # component | plasma
    din: str
    product_code: str | None
    division: str | None
    product: str
    state: str
    holder: str
    label: str
    events: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class DonationTrace:
    kind: str
    collected_at: datetime
    collector: str
    donor_id: int
    donor: str  # masked
    tests: list[tuple[str, str]]  # marker, result, in words


@dataclass(frozen=True)
class Trace:
    din: str
    check_character: str
    donation: DonationTrace | None  # None: not the actor's link of the chain
    units: list[UnitTrace]
    timeline: list[Event]
    cases: list[LookbackCase]


def parse(text: str) -> str:
    """A DIN as typed or scanned, its check character verified when given."""
    try:
        return isbt128.parse_din(text).din
    except isbt128.InvalidDin as error:
        raise ValidationFailed({"din": [describe_invalid_din(error)]}) from None


def _visible(session: Session, actor: Actor) -> set[int] | None:
    """The organisations whose steps the actor sees (None: every one)."""
    if actor.is_system:
        return None
    return set(session.exec(visible_org_ids(actor)).all())


def _locale() -> str:
    return str(get_locale() or "zh_Hans_CN")


class _Names:
    def __init__(self, session: Session):
        self.session, self.cache, self.locale = session, {}, _locale()

    def __call__(self, org_id: int | None) -> str:
        if org_id is None:
            return ""
        if org_id not in self.cache:
            org = self.session.get(Organisation, org_id)
            self.cache[org_id] = org.name(self.locale) if org else ""
        return self.cache[org_id]


def _product_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    english = _locale().startswith("en")
    return {
        p.code: p.name_en if english else p.name_zh
        for p in session.exec(select(ProductCode).where(ProductCode.code.in_(codes)))
    }


def trace_din(*, session: Session, actor: Actor, din: str) -> Trace:
    """The trace of one donation, as far as the actor may see it."""
    din = parse(din)
    visible = _visible(session, actor)

    def sees(parties: frozenset[int]) -> bool:
        return visible is None or bool(parties & visible)

    names = _Names(session)
    events: list[Event] = []
    units: list[UnitTrace] = []
    donation_trace = None
    donation = session.exec(select(BloodDonation).where(BloodDonation.din == din)).first()
    collection = session.exec(select(Collection).where(Collection.din == din)).first()
    if donation is not None:
        collector = frozenset({donation.centre_id})
        tests = session.exec(
            select(BloodTestResult)
            .where(BloodTestResult.donation_id == donation.id)
            .order_by(BloodTestResult.entered_at, BloodTestResult.marker)
        ).all()
        donation_trace = _donation(
            session,
            names,
            donation.kind,
            donation.collected_at,
            donation.centre_id,
            donation.donor_id,
            [(t.marker, t.result) for t in tests],
        )
        events.append(
            _event("collected", donation.collected_at, collector, names, donation.centre_id)
        )
        if tests:
            events.append(
                _event(
                    "tested",
                    tests[-1].entered_at,
                    collector,
                    names,
                    donation.centre_id,
                    results=", ".join(f"{m} {r}" for m, r in donation_trace.tests),
                )
            )
        units = _component_units(session, names, din)
        events += [e for u in units for e in u.events]
        if not sees(collector):
            donation_trace = None
    elif collection is not None:
        collector = frozenset({collection.station_id})
        lab = session.exec(
            select(LabResult).where(LabResult.collection_id == collection.id)
        ).first()
        markers = ("hbsag", "anti_hcv", "anti_hiv", "syphilis")
        donation_trace = _donation(
            session,
            names,
            "plasma",
            collection.started_at,
            collection.station_id,
            collection.donor_id,
            [(m, getattr(lab, m)) for m in markers] if lab else [],
        )
        events.append(
            _event("collected", collection.started_at, collector, names, collection.station_id)
        )
        if lab is not None:
            events.append(
                _event(
                    "tested",
                    lab.tested_at,
                    collector,
                    names,
                    collection.station_id,
                    results=", ".join(f"{m} {r}" for m, r in donation_trace.tests),
                )
            )
        units = [_plasma_unit(session, names, collection, lab)]
        events += units[0].events
        if not sees(collector):
            donation_trace = None
    else:
        raise NotFound()
    units = [u for u in units if sees(frozenset().union(*(e.parties for e in u.events)))]
    for unit in units:
        unit.events = [e for e in unit.events if sees(e.parties)]
    timeline = sorted((e for e in events if sees(e.parties)), key=lambda e: e.at)
    if donation_trace is None and not units:
        raise NotFound()
    cases = []
    if donation_trace is not None:
        cases = list(
            session.exec(
                select(LookbackCase)
                .where(LookbackCase.id.in_(select(CaseUnit.case_id).where(CaseUnit.din == din)))
                .order_by(LookbackCase.opened_at)
            ).all()
        )
    return Trace(din, isbt128.check_character(din), donation_trace, units, timeline, cases)


def _donation(session, names, kind, at, org_id, donor_id, tests) -> DonationTrace:
    return DonationTrace(
        kind=str(DONATION_KIND_WORDS.get(kind, kind)),
        collected_at=at,
        collector=names(org_id),
        donor_id=donor_id,
        donor=donor_mask(session.get(Donor, donor_id)),
        tests=[(marker_label(m), str(RESULT_WORDS.get(r, r))) for m, r in tests if r is not None],
    )


def _event(kind, at, parties, names, org_id, counterpart_id=None, unit=None, **facts) -> Event:
    text = str(
        str(EVENT_WORDS[kind])
        % {"organisation": names(org_id), "counterpart": names(counterpart_id), **facts}
    )
    return Event(at, kind, text, unit, frozenset(parties))


def _component_units(session: Session, names: _Names, din: str) -> list[UnitTrace]:
    units = session.exec(
        select(Unit).where(Unit.din == din).order_by(Unit.product_code, Unit.division)
    ).all()
    if not units:
        return []
    ids = [u.id for u in units]
    moves = session.exec(
        select(UnitMovement)
        .where(UnitMovement.unit_id.in_(ids))
        .order_by(UnitMovement.at, UnitMovement.id)
    ).all()
    given = {
        t.unit_id: t for t in session.exec(select(Transfusion).where(Transfusion.unit_id.in_(ids)))
    }
    products = _product_names(session, {u.product_code for u in units})
    traces = []
    for unit in units:
        trace = UnitTrace(
            kind="component",
            din=unit.din,
            product_code=unit.product_code,
            division=unit.division,
            product=products.get(unit.product_code, unit.product_code),
            state=str(STATE_WORDS[UnitState(unit.state)]),
            holder=names(unit.owner_id),
            label=unit.label,
        )
        for move in (m for m in moves if m.unit_id == unit.id):
            event = _event(
                move.action,
                move.at,
                {move.organisation_id},
                names,
                move.organisation_id,
                move.counterpart_id,
                unit.label,
            )
            if move.action == "transfuse" and unit.id in given:
                t = given[unit.id]
                event = Event(
                    t.started_at,
                    event.kind,
                    f"{event.text}: {t.department}, {t.patient_mask}",
                    unit.label,
                    event.parties,
                    t.department,
                    t.patient_mask,
                )
            elif move.action == "discard" and move.reason in DISCARD_REASONS:
                event = Event(
                    event.at,
                    event.kind,
                    f"{event.text}: {DISCARD_REASONS[move.reason]}",
                    unit.label,
                    event.parties,
                )
            trace.events.append(event)
        traces.append(trace)
    return traces


def _plasma_unit(
    session: Session, names: _Names, collection: Collection, lab: LabResult | None
) -> UnitTrace:
    station = collection.station_id
    trace = UnitTrace(
        kind="plasma",
        din=collection.din,
        product_code=None,
        division=None,
        product=str(DONATION_KIND_WORDS["plasma"]),
        state=str(PLASMA_STATE_WORDS.get(collection.state, collection.state)),
        holder=names(station),
        label=collection.din,
    )
    if collection.released_at is not None:
        trace.events.append(
            _event(
                "release", collection.released_at, {station}, names, station, unit=collection.din
            )
        )
    shipped = session.exec(
        select(Shipment)
        .join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
        .where(ShipmentItem.collection_id == collection.id)
    ).first()
    if shipped is not None:
        parties = {station, shipped.manufacturer_id}
        trace.holder = names(shipped.manufacturer_id)
        trace.events.append(
            _event(
                "shipped",
                shipped.shipped_at,
                parties,
                names,
                station,
                shipped.manufacturer_id,
                collection.din,
                number=shipped.number,
            )
        )
        if shipped.received_at is not None:
            trace.events.append(
                _event(
                    "manufacturer_received",
                    shipped.received_at,
                    parties,
                    names,
                    station,
                    shipped.manufacturer_id,
                    collection.din,
                    number=shipped.number,
                )
            )
    if collection.state == PlasmaState.DESTROYED and lab is not None:
        trace.events.append(
            _event("destroyed", lab.tested_at, {station}, names, station, unit=collection.din)
        )
    blocked = session.exec(
        select(LookbackCase.opened_at)
        .join(CaseUnit, CaseUnit.case_id == LookbackCase.id)
        .where(CaseUnit.collection_id == collection.id, CaseUnit.outcome == "blocked")
        .order_by(LookbackCase.opened_at)
    ).first()
    if blocked is not None:
        trace.events.append(
            _event("block", blocked, {station}, names, station, unit=collection.din)
        )
    trace.events.sort(key=lambda e: e.at)
    return trace


# The trace of a donor (every donation) lives in its own module; kept importable from here.
from blood.trace.service.donor_trace import DonorTrace, trace_donor  # noqa: E402

__all__ = ["DonorTrace", "Trace", "trace_din", "trace_donor"]
