"""Evaluating the alert rules (``blood.supervision.alert_rules``) against the facts and the
records: the scheduler's job after computing the indicators, and
``flask --app app blood evaluate-alerts``.

Each rule says which organisations it judged and what it found there. A judged organisation's
alert whose condition is no longer found closes itself; an organisation the rule could not
judge (no snapshot today: not computed yet) keeps its alerts as they are — a missing figure
never clears an alert. Severe reactions are raised the moment they are recorded (the
``ADVERSE_REACTION_RECORDED`` event); the evaluation also raises any a hospital recorded
without it (``alert_required`` and no ``alerted_at``), so none is missed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from blood import settings
from blood.accounts.models import Organisation
from blood.accounts.scoping import Actor
from blood.clinical.models import AdverseReaction
from blood.db import utcnow
from blood.donors.models import Donor
from blood.errors import Forbidden
from blood.plasma.models import Visit, VisitStatus
from blood.supervision import alert_rules as R
from blood.supervision.indicators import split_key
from blood.supervision.models import Alert, IndicatorFact
from blood.supervision.service.activity import last_reports, record_activity
from blood.supervision.service.alerts import Condition, clear, raise_condition
from blood.supervision.service.common import COMPUTED_KINDS, local_date
from blood.supervision.service.facts_plasma import refused_groups
from blood.supervision.service.judge_notices import judge_overdue_notices  # look-back
from blood.supervision.service.reporting import is_silent
from blood.supervision.service.stock_board import cell, minimums_of


@dataclass
class Judgement:
    judged: set[int] = field(default_factory=set)
    found: list[Condition] = field(default_factory=list)


@dataclass(frozen=True)
class EvaluationResult:
    opened: int
    updated: int
    cleared: int
    active: int


def evaluate_alerts(*, session: Session, actor: Actor, now: datetime | None = None):
    """Judge every rule over every organisation; open, update and clear alerts."""
    if not actor.is_system:
        raise Forbidden()
    now = now or utcnow()
    orgs = session.exec(
        select(Organisation).where(Organisation.kind.in_([k.value for k in COMPUTED_KINDS]))
    ).all()
    opened = updated = cleared = 0
    held = session.exec(
        select(Alert).where(Alert.open_key.is_not(None), Alert.rule.in_(R.EVALUATED))
    ).all()
    by_key = {a.open_key: a for a in held}
    for code, judge in JUDGES.items():
        rule = R.RULES[code]
        watched = [o for o in orgs if o.kind in rule.kinds]
        judgement = judge(session, watched, now)
        found_keys = set()
        for condition in judgement.found:
            found_keys.add(condition.key)
            _alert, happened = raise_condition(session, condition, now, by_key.get(condition.key))
            opened += happened == "opened"
            updated += happened in ("escalated", "eased")
        for alert in held:
            if (
                alert.rule == code
                and alert.organisation_id in judgement.judged
                and alert.open_key not in found_keys
            ):
                clear(session, alert, now)
                cleared += 1
    opened += raise_unalerted_reactions(session, now)
    active = session.exec(
        select(sa.func.count()).select_from(Alert).where(Alert.status != "closed")
    ).one()
    return EvaluationResult(opened, updated, cleared, active)


def _zones(orgs: list[Organisation]) -> dict[str, list[Organisation]]:
    zones: dict[str, list[Organisation]] = defaultdict(list)
    for org in orgs:
        zones[org.timezone].append(org)
    return zones


def _facts(session: Session, ids: list[int], code: str, first: date, last: date):
    if not ids:
        return []
    return session.exec(
        select(
            IndicatorFact.organisation_id,
            IndicatorFact.day,
            IndicatorFact.breakdown,
            IndicatorFact.numerator,
            IndicatorFact.denominator,
        ).where(
            IndicatorFact.organisation_id.in_(ids),
            IndicatorFact.indicator == code,
            IndicatorFact.day >= first,
            IndicatorFact.day <= last,
        )
    ).all()


# --- the judges ---------------------------------------------------------------------------------


def judge_stock(session: Session, orgs: list[Organisation], now: datetime) -> dict:
    """Today's days-of-supply snapshot of each holder: {org id: {(component, group): (on
    hand, daily use)}}, for the holders that have one."""
    found: dict[int, dict[tuple[str, str], tuple[float, float]]] = {}
    for zone, members in _zones(orgs).items():
        today = local_date(now, zone)
        for org_id, _day, key, n, d in _facts(
            session, [o.id for o in members], "days_of_supply", today, today
        ):
            figures = found.setdefault(org_id, {})
            if key:
                figures[tuple(split_key(key))] = (n, d or 0.0)
    return found


def judge_minimum(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    config = settings.of(session)
    stock = judge_stock(session, orgs, now)
    result = Judgement(judged=set(stock))
    for org in orgs:
        if org.id not in stock:
            continue
        minimums = minimums_of(config.stock_minimum_units, org)
        for (component, group), minimum in sorted(minimums.items()):
            on_hand = round(stock[org.id].get((component, group), (0, 0))[0])
            if on_hand < minimum:
                result.found.append(
                    Condition(
                        "stock_minimum",
                        org.id,
                        f"{component}|{group}",
                        R.RED,
                        {"component": component, "group": group, "on_hand": on_hand,
                         "minimum": minimum},
                    )
                )  # fmt: skip
    return result


def judge_phase(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    config = settings.of(session)
    stock = judge_stock(session, orgs, now)
    result = Judgement(judged=set(stock))
    for org_id, figures in stock.items():
        for (component, group), (n, d) in sorted(figures.items()):
            level = cell(component, group, n, d, config, None)
            severity = R.phase_severity(level.phase)
            if severity:
                result.found.append(
                    Condition(
                        "stock_phase",
                        org_id,
                        f"{component}|{group}",
                        severity,
                        {"component": component, "group": group, "on_hand": level.on_hand,
                         "daily_use": level.daily_use, "days": level.days, "phase": level.phase},
                    )
                )  # fmt: skip
    return result


def judge_reactive(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    config = settings.of(session)
    recent_days, base_days = config.alert_reactive_recent_days, config.alert_reactive_baseline_days
    result = Judgement(judged={o.id for o in orgs})
    for zone, members in _zones(orgs).items():
        today = local_date(now, zone)
        split = today - timedelta(days=recent_days - 1)
        first = split - timedelta(days=base_days)
        sums: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for org_id, day, key, n, d in _facts(
            session, [o.id for o in members], "reactive_rate", first, today
        ):
            if not key:
                continue
            row = sums[(org_id, key)]
            offset = 0 if day >= split else 2
            row[offset] += n
            row[offset + 1] += d or 0.0
        for (org_id, marker), (n, d, base_n, base_d) in sorted(sums.items()):
            if R.reactive_spike(
                (n, d),
                (base_n, base_d),
                factor=config.alert_reactive_factor,
                min_reactive=config.alert_reactive_min_reactive,
            ):
                result.found.append(
                    Condition(
                        "reactive_rate",
                        org_id,
                        marker,
                        R.ORANGE,
                        {"marker": marker, "reactive": int(n), "tested": int(d),
                         "rate": round(n * 100 / d, 2), "days": recent_days,
                         "baseline": round(base_n * 100 / base_d, 2),
                         "baseline_days": base_days},
                    )
                )  # fmt: skip
    return result


def judge_refused(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    """Donors refused at least N times in the window at one station (the visits of the
    window, through (station, date))."""
    config = settings.of(session)
    window, least = config.alert_refused_window_days, config.alert_refused_attempts
    result = Judgement(judged={o.id for o in orgs})
    for zone, members in _zones(orgs).items():
        today = local_date(now, zone)
        rows = session.exec(
            select(Visit.station_id, Visit.donor_id, Donor.card_number, Visit.reasons)
            .join(Donor, Donor.id == Visit.donor_id)
            .where(
                Visit.station_id.in_([o.id for o in members]),
                Visit.visit_date > today - timedelta(days=window),
                Visit.visit_date <= today,
                Visit.status == VisitStatus.INELIGIBLE,
            )
        ).all()
        refused: dict[tuple[int, str], list[str]] = defaultdict(list)
        counted: dict[tuple[int, str], int] = defaultdict(int)
        for station, _donor, card, reasons in rows:
            groups = refused_groups(reasons)
            if groups:
                counted[(station, card)] += 1
                refused[(station, card)] += [g for g in groups if g not in refused[(station, card)]]
        for (station, card), count in sorted(counted.items()):
            if count >= least:
                result.found.append(
                    Condition(
                        "refused_attempts",
                        station,
                        card,
                        R.YELLOW,
                        {"card": card, "count": count, "days": window,
                         "reasons": refused[(station, card)]},
                    )
                )  # fmt: skip
    return result


def judge_wastage(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    config = settings.of(session)
    days = config.alert_wastage_window_days
    result = Judgement(judged={o.id for o in orgs})
    for zone, members in _zones(orgs).items():
        today = local_date(now, zone)
        sums: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for org_id, _day, key, n, d in _facts(
            session,
            [o.id for o in members],
            "wastage_rate",
            today - timedelta(days=days - 1),
            today,
        ):
            if key:
                sums[(org_id, key)][0] += n
                sums[(org_id, key)][1] += d or 0.0
        for (org_id, component), (wasted, units) in sorted(sums.items()):
            threshold = config.alert_wastage_percent.get(component)
            if R.wastage_exceeds(
                wasted, units, percent=threshold, min_units=config.alert_wastage_min_units
            ):
                result.found.append(
                    Condition(
                        "wastage",
                        org_id,
                        component,
                        R.YELLOW,
                        {"component": component, "wasted": int(wasted), "units": int(units),
                         "rate": round(wasted * 100 / units, 1), "days": days,
                         "threshold": threshold},
                    )
                )  # fmt: skip
    return result


def judge_silent(session: Session, orgs: list[Organisation], now: datetime) -> Judgement:
    """Stations and hospitals with nothing recorded for the silence window (the records of
    the window are read first, so a record since the last computation counts)."""
    hours = settings.of(session).supervision_silent_hours
    watched = [o for o in orgs if o.active]
    record_activity(session, since=now - timedelta(hours=hours + 1), until=now)
    last = last_reports(session, [o.id for o in watched])
    result = Judgement(judged={o.id for o in watched})
    for org in watched:
        seen = last.get(org.id)
        if is_silent(org, seen, now, hours):
            since = seen or org.created_at
            result.found.append(
                Condition(
                    "silent",
                    org.id,
                    "",
                    R.YELLOW,
                    {
                        "last": seen.isoformat(timespec="minutes") if seen else None,
                        "hours": int((now - since).total_seconds() // 3600),
                    },
                )
            )
    return result


JUDGES: dict[str, Callable[[Session, list[Organisation], datetime], Judgement]] = {
    "stock_minimum": judge_minimum,
    "stock_phase": judge_phase,
    "reactive_rate": judge_reactive,
    "refused_attempts": judge_refused,
    "wastage": judge_wastage,
    "silent": judge_silent,
    "notice_overdue": judge_overdue_notices,  # look-back notices (judge_notices.py)
}


# --- severe reactions ---------------------------------------------------------------------------


def raise_reaction_alert(session: Session, reaction: AdverseReaction, now: datetime) -> bool:
    """Open the alert of a reaction marked for immediate supervision, once; mark it alerted."""
    if not reaction.alert_required or reaction.alerted_at is not None:
        return False
    condition = Condition(
        "severe_reaction",
        reaction.hospital_id,
        f"reaction-{reaction.id}",
        R.reaction_severity(reaction.category, reaction.severity),
        {
            "reaction": reaction.id,
            "category": reaction.category,
            "severity": reaction.severity,
            "onset": reaction.onset_at.isoformat(timespec="minutes"),
            "reference": reaction.reference,
        },
    )
    _alert, happened = raise_condition(session, condition, now)
    reaction.alerted_at = now
    session.add(reaction)
    return happened == "opened"


def raise_projected_shortages(
    session: Session, centre: Organisation, series: Iterable[Any], now: datetime
) -> int:
    """One alert per group the centre's forecast projects amber (orange) or red (red) within
    its horizon; the centre's open ones whose group is no longer projected short clear."""
    raised = set()
    for s in series:
        group = f"{s.abo}{s.rhd}"
        condition = Condition(
            "projected_shortage",
            centre.id,
            f"{s.component}-{group}",
            R.RED if s.first_red else R.ORANGE,
            {
                "component": s.component,
                "group": group,
                "amber": s.first_amber.isoformat() if s.first_amber else None,
                "red": s.first_red.isoformat() if s.first_red else None,
                "on_hand": s.on_hand,
                "method": s.method,
            },
        )
        raise_condition(session, condition, now)
        raised.add(condition.key)
    earlier = session.exec(
        select(Alert).where(
            Alert.rule == "projected_shortage",
            Alert.organisation_id == centre.id,
            Alert.open_key.is_not(None),
        )
    ).all()
    for alert in earlier:
        if alert.open_key not in raised:
            clear(session, alert, now)
    return len(raised)


def raise_unalerted_reactions(session: Session, now: datetime) -> int:
    waiting = session.exec(
        select(AdverseReaction).where(
            AdverseReaction.alert_required, AdverseReaction.alerted_at.is_(None)
        )
    ).all()
    return sum(raise_reaction_alert(session, reaction, now) for reaction in waiting)
