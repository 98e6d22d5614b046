"""Reading look-back cases: who may see one, the list, one case with its units, notices and
timeline, and its CSV.

The quality role of the station or centre that opened the case or collected one of its
donations sees it; so does an authority over any organisation of the chain (the opener, a
collector, a holder, a notice's receiver). Anyone else gets "not found".
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import Actor, visible_org_ids
from blood.db import utcnow
from blood.donors.models import Donor
from blood.errors import NotFound
from blood.pagination import Page, PageRequest, fetch_page
from blood.trace.models import CaseUnit, LookbackCase, Notice
from blood.trace.service.notices import NOTICE_KIND_WORDS, NOTICE_STATE_WORDS, notice_state
from blood.trace.service.words import donor_mask

ORIGIN_WORDS = {
    "reactive_test": _l("Reactive test result"),
    "tti_report": _l("Transfusion-transmitted infection reported by a hospital"),
    "manual": _l("Opened by the quality manager"),
}
OUTCOME_WORDS = {
    "blocked": _l("Blocked in stock"),
    "transfused": _l("Already transfused: recipient notice"),
    "shipped": _l("Already shipped: recall notice"),
    "gone": _l("Already discarded, destroyed or expired"),
}
STATUS_WORDS = {"open": _l("Open"), "closed": _l("Closed")}


def may_read_cases(actor: Actor | None) -> bool:
    """The pages' menu and the case pages ask the same question."""
    if actor is None:
        return False
    if actor.is_system:
        return True
    if actor.organisation_kind == OrgKind.AUTHORITY:
        return True
    return actor.organisation_kind in (
        OrgKind.PLASMA_STATION,
        OrgKind.BLOOD_CENTRE,
    ) and actor.has_role(Role.QUALITY)


def may_open_case(actor: Actor | None) -> bool:
    return (
        actor is not None
        and actor.organisation_kind in (OrgKind.PLASMA_STATION, OrgKind.BLOOD_CENTRE)
        and actor.has_role(Role.QUALITY)
    )


def _visible_cases(actor: Actor) -> sa.Select:
    statement = select(LookbackCase)
    if actor.is_system:
        return statement
    if not may_read_cases(actor):
        return statement.where(sa.false())
    if actor.organisation_kind == OrgKind.AUTHORITY:
        visible = visible_org_ids(actor)
        chain = sa.or_(
            select(CaseUnit.id)
            .where(
                CaseUnit.case_id == LookbackCase.id,
                sa.or_(CaseUnit.collector_id.in_(visible), CaseUnit.holder_id.in_(visible)),
            )
            .exists(),
            select(Notice.id)
            .where(Notice.case_id == LookbackCase.id, Notice.receiver_id.in_(visible))
            .exists(),
        )
        return statement.where(sa.or_(LookbackCase.organisation_id.in_(visible), chain))
    own = actor.organisation_id
    return statement.where(
        sa.or_(
            LookbackCase.organisation_id == own,
            select(CaseUnit.id)
            .where(CaseUnit.case_id == LookbackCase.id, CaseUnit.collector_id == own)
            .exists(),
        )
    )


def list_cases(*, session: Session, actor: Actor, page: PageRequest) -> Page[LookbackCase]:
    """The cases the actor may see, open ones first, latest first."""
    statement = _visible_cases(actor).order_by(
        LookbackCase.status != "open", LookbackCase.opened_at.desc(), LookbackCase.id.desc()
    )
    return fetch_page(session, statement, page)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class CaseView:
    case: LookbackCase
    opener: Organisation
    donor: str  # masked
    units: list[tuple[CaseUnit, Organisation | None, Organisation]]  # unit, holder, collector
    notices: list[tuple[Notice, Organisation, str]]  # notice, receiver, state
    timeline: list[TimelineEntry]


def get_case(*, session: Session, actor: Actor, case_id: int) -> CaseView:
    case = session.exec(_visible_cases(actor).where(LookbackCase.id == case_id)).first()
    if case is None:
        raise NotFound()
    units = session.exec(
        select(CaseUnit)
        .where(CaseUnit.case_id == case.id)
        .order_by(CaseUnit.collected_at, CaseUnit.id)
    ).all()
    notices = session.exec(
        select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)
    ).all()
    ids = (
        {u.holder_id for u in units if u.holder_id}
        | {u.collector_id for u in units}
        | {n.receiver_id for n in notices}
        | {case.organisation_id}
    )
    orgs = {o.id: o for o in session.exec(select(Organisation).where(Organisation.id.in_(ids)))}
    donor = session.get(Donor, case.donor_id)
    now = utcnow()
    timeline = [
        TimelineEntry(
            case.opened_at, str(_l("Case opened: %(origin)s", origin=ORIGIN_WORDS[case.origin]))
        )
    ]
    blocked = [u for u in units if u.outcome == "blocked" and u.state_found != "blocked"]
    if blocked:
        timeline.append(
            TimelineEntry(case.opened_at, str(_l("%(count)s units blocked", count=len(blocked))))
        )
    for notice in notices:
        receiver = orgs[notice.receiver_id]
        timeline.append(
            TimelineEntry(
                notice.created_at,
                str(
                    _l(
                        "%(kind)s sent to %(receiver)s (%(din)s)",
                        kind=NOTICE_KIND_WORDS[notice.kind],
                        receiver=receiver.name(_locale()),
                        din=notice.din,
                    )
                ),
            )
        )
        if notice.acknowledged_at is not None:
            timeline.append(
                TimelineEntry(
                    notice.acknowledged_at,
                    str(
                        _l(
                            "%(receiver)s acknowledged the notice on %(din)s",
                            receiver=receiver.name(_locale()),
                            din=notice.din,
                        )
                    ),
                )
            )
    if case.closed_at is not None:
        timeline.append(
            TimelineEntry(
                case.closed_at,
                str(
                    _l(
                        "Case closed by %(name)s: %(comment)s",
                        name=case.closed_by or "",
                        comment=case.closing_comment or "",
                    )
                ),
            )
        )
    return CaseView(
        case=case,
        opener=orgs[case.organisation_id],
        donor=donor_mask(donor),
        units=[(u, orgs.get(u.holder_id), orgs[u.collector_id]) for u in units],
        notices=[(n, orgs[n.receiver_id], notice_state(n, now)) for n in notices],
        timeline=sorted(timeline, key=lambda e: e.at),
    )


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh_Hans_CN")


def case_csv(*, session: Session, actor: Actor, case_id: int) -> str:
    """The case's units and notices, one row per unit, UTF-8 with a BOM (Excel)."""
    view = get_case(session=session, actor=actor, case_id=case_id)
    locale = _locale()
    by_unit = {n.case_unit_id: (n, receiver, state) for n, receiver, state in view.notices}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            str(_l("Case")),
            str(_l("DIN")),
            str(_l("Product")),
            str(_l("Collected")),
            str(_l("Collected by")),
            str(_l("Held by")),
            str(_l("Found")),
            str(_l("Notice")),
            str(_l("Notice to")),
            str(_l("Patient pseudonym")),
            str(_l("Transfused on")),
            str(_l("Notice state")),
        ]
    )
    for unit, holder, collector in view.units:
        notice, receiver, state = by_unit.get(unit.id, (None, None, None))
        writer.writerow(
            [
                view.case.number,
                unit.din,
                unit.product_code or str(_l("Source plasma")),
                unit.collected_at.date().isoformat(),
                collector.name(locale),
                holder.name(locale) if holder else "",
                str(OUTCOME_WORDS[unit.outcome]),
                str(NOTICE_KIND_WORDS[notice.kind]) if notice else "",
                receiver.name(locale) if receiver else "",
                (notice.patient_mask or "") if notice else "",
                notice.transfused_on.isoformat() if notice and notice.transfused_on else "",
                str(NOTICE_STATE_WORDS[state]) if state else "",
            ]
        )
    return out.getvalue()
