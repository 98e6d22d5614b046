"""Supervision's words: severities, statuses, rule names, breakdown values, and each alert as a
sentence an inspector understands ("O− red cells at 浙江省血液中心: 1 unit on hand, below the
minimum of 10."), in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from blood.accounts.models import Organisation
from blood.clinical.messages import (
    CATEGORY_LABELS,
    COMPONENT_LABELS,
    FLAG_LABELS,
    RETURN_REASON_LABELS,
    SEVERITY_LABELS,
)
from blood.donors.service import DEFERRAL_REASONS
from blood.stock.service import DISCARD_REASONS, MARKER_LABELS
from blood.supervision.alert_rules import group_label
from blood.supervision.models import Alert

SEVERITY_WORDS: dict[str, Any] = {
    "red": _l("Red (level I)"),
    "orange": _l("Orange (level II)"),
    "yellow": _l("Yellow (level III)"),
    "blue": _l("Blue (level IV)"),
}
STATUS_WORDS: dict[str, Any] = {
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "closed": _l("Closed"),
}
RULE_NAMES: dict[str, Any] = {
    "stock_minimum": _l("Stock below its minimum"),
    "stock_phase": _l("Stock phase amber or red"),
    "severe_reaction": _l("Severe transfusion reaction"),
    "reactive_rate": _l("Reactive rate above its baseline"),
    "refused_attempts": _l("Donor refused again and again"),
    "wastage": _l("Wastage above its threshold"),
    "silent": _l("Nothing reported"),
    "notice_overdue": _l("Look-back notice not acknowledged"),
    "projected_shortage": _l("Shortage projected by the forecast"),
}
# The look-back notices (blood.trace), as an overdue alert names them.
NOTICE_WORDS: dict[str, Any] = {
    "recall": _l("recall of shipped plasma"),
    "recipient": _l("recipient follow-up"),
    "hold": _l("blocked unit in stock"),
}
EVENT_WORDS: dict[str, Any] = {
    "opened": _l("Opened"),
    "escalated": _l("Escalated"),
    "eased": _l("Eased"),
    "acknowledged": _l("Acknowledged"),
    "closed": _l("Closed"),
    "cleared": _l("Condition cleared"),
}
# Components inside a sentence ("O− red cells at …").
COMPONENT_WORDS: dict[str, Any] = {
    "red_cells": _l("red cells"),
    "plasma": _l("plasma"),
    "platelets": _l("platelets"),
    "cryo": _l("cryoprecipitate"),
}
PHASE_WORDS: dict[str, Any] = {
    "green": _l("Green"),
    "pre_amber": _l("Pre-amber"),
    "amber": _l("Amber"),
    "red": _l("Red"),
    "none": "—",
}
_VALUES: dict[str, Mapping[str, Any]] = {
    "donor_type": {"new": _l("New donors"), "repeat": _l("Repeat donors")},
    "method": {"whole_blood": _l("Whole blood"), "apheresis": _l("Apheresis")},
    "component": COMPONENT_LABELS,
    "marker": MARKER_LABELS,
    "category": CATEGORY_LABELS,
    "flag": FLAG_LABELS,
}
_REASONS: dict[str, Mapping[str, Any]] = {
    "plasma_destroyed_kg": {
        "reactive_marker": _l("Reactive infectious marker"),
        "out_of_range": _l("Test result out of range"),
        "deviation_rejected": _l("Collection deviation rejected by the quality manager"),
    },
    "donor_deferrals": DEFERRAL_REASONS,
    "refused_attempts": {
        "interval": _l("Interval or frequency"),
        "one_station": _l("Registered at another station"),
        "permanent_deferral": _l("Permanently deferred"),
        "temporary_deferral": _l("Deferred for a time"),
    },
    "units_discarded": DISCARD_REASONS,
    "incompatible_refused": {
        "abo_incompatible": _l("ABO-incompatible"),
        "rhd_incompatible": _l("RhD-positive red cells for an RhD-negative patient"),
        "group_unknown_not_universal": _l("Patient's group unknown, unit not universal"),
    },
    "units_returned": RETURN_REASON_LABELS,
}


def value_label(indicator: str, dimension: str, value: str) -> str:
    """A breakdown value in words (a group as printed; a hospital or department as it is)."""
    if dimension == "group":
        return group_label(value)
    if dimension == "severity":
        word = SEVERITY_LABELS.get(int(value)) if value.isdigit() else None
        return str(word) if word is not None else value
    words = _REASONS.get(indicator, {}) if dimension == "reason" else _VALUES.get(dimension, {})
    word = words.get(value)
    return str(word) if word is not None else value


def severity_word(severity: str) -> str:
    return str(SEVERITY_WORDS.get(severity, severity))


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def organisation_name(org: Organisation | None) -> str:
    return org.name(_locale()) if org is not None else "—"


def _units(n: int) -> str:
    return ngettext("%(num)d unit", "%(num)d units", n)


def _when(stamp: str | None) -> str:
    """A stored ISO time as the reader reads times (their time zone, their language)."""
    if not stamp:
        return ""
    try:
        return format_datetime(datetime.fromisoformat(stamp), "short")
    except ValueError:
        return stamp


METHOD_WORDS: dict[str, Any] = {
    "ets": _l("by exponential smoothing"),
    "seasonal_naive": _l("as last week's issues (the baseline)"),
}


def _day(stamp: str | None) -> str:
    """A stored ISO date in the reader's words."""
    if not stamp:
        return ""
    try:
        return format_date(date.fromisoformat(stamp), "medium")
    except ValueError:
        return stamp


def alert_message(alert: Alert, org: Organisation | None) -> str:
    """The alert as one sentence, from its rule and the facts it was raised with."""
    f = dict(alert.facts or {})
    where = organisation_name(org)
    rule = alert.rule
    if rule in ("stock_minimum", "stock_phase"):
        subject = {
            "group": group_label(f.get("group", "")),
            "component": str(COMPONENT_WORDS.get(f.get("component"), f.get("component"))),
            "organisation": where,
            "on_hand": _units(int(f.get("on_hand", 0))),
        }
        if rule == "stock_minimum":
            return _(
                "%(group)s %(component)s at %(organisation)s: %(on_hand)s on hand, below the "
                "minimum of %(minimum)d.",
                minimum=int(f.get("minimum", 0)),
                **subject,
            )
        return _(
            "%(group)s %(component)s at %(organisation)s: %(days)s days of supply "
            "(%(on_hand)s on hand, %(daily)s used a day), phase %(phase)s.",
            days=f.get("days"),
            daily=f.get("daily_use"),
            phase=str(PHASE_WORDS.get(f.get("phase"), f.get("phase"))),
            **subject,
        )
    if rule == "projected_shortage":
        words = {
            "group": group_label(f.get("group", "")),
            "component": str(COMPONENT_WORDS.get(f.get("component"), f.get("component"))),
            "organisation": where,
        }
        if f.get("red"):
            return _(
                "%(group)s %(component)s at %(organisation)s projected red on %(day)s "
                "(%(on_hand)s on hand, forecast %(method)s).",
                day=_day(f.get("red")),
                on_hand=_units(int(f.get("on_hand", 0))),
                method=str(METHOD_WORDS.get(f.get("method"), f.get("method"))),
                **words,
            )
        return _(
            "%(group)s %(component)s at %(organisation)s projected amber on %(day)s "
            "(%(on_hand)s on hand, forecast %(method)s).",
            day=_day(f.get("amber")),
            on_hand=_units(int(f.get("on_hand", 0))),
            method=str(METHOD_WORDS.get(f.get("method"), f.get("method"))),
            **words,
        )
    if rule == "severe_reaction":
        return _(
            "Adverse reaction reported by %(organisation)s: %(category)s, severity %(severity)s, "
            "onset %(onset)s.",
            organisation=where,
            category=str(CATEGORY_LABELS.get(f.get("category"), f.get("category"))),
            severity=str(SEVERITY_LABELS.get(f.get("severity"), f.get("severity"))),
            onset=_when(f.get("onset")),
        )
    if rule == "reactive_rate":
        return _(
            "%(marker)s reactive at %(organisation)s: %(rate)s%% in the last %(days)d days "
            "(%(reactive)d of %(tested)d), against %(baseline)s%% in the %(baseline_days)d "
            "days before.",
            marker=str(MARKER_LABELS.get(f.get("marker"), f.get("marker"))),
            organisation=where,
            rate=f.get("rate"),
            days=int(f.get("days", 0)),
            reactive=int(f.get("reactive", 0)),
            tested=int(f.get("tested", 0)),
            baseline=f.get("baseline"),
            baseline_days=int(f.get("baseline_days", 0)),
        )
    if rule == "refused_attempts":
        reasons = _REASONS["refused_attempts"]
        return _(
            "Donor %(card)s was refused %(count)d times in %(days)d days at %(organisation)s "
            "(%(reasons)s).",
            card=f.get("card", ""),
            count=int(f.get("count", 0)),
            days=int(f.get("days", 0)),
            organisation=where,
            reasons=_("; ").join(str(reasons.get(r, r)) for r in f.get("reasons", [])),
        )
    if rule == "wastage":
        return _(
            "%(component)s wastage at %(organisation)s: %(rate)s%% over %(days)d days "
            "(%(wasted)d of %(units)d units), above %(threshold)s%%.",
            component=str(COMPONENT_LABELS.get(f.get("component"), f.get("component"))),
            organisation=where,
            rate=f.get("rate"),
            days=int(f.get("days", 0)),
            wasted=int(f.get("wasted", 0)),
            units=int(f.get("units", 0)),
            threshold=f.get("threshold"),
        )
    if rule == "silent":
        if f.get("last"):
            return _(
                "%(organisation)s has sent nothing for %(hours)d hours (last record %(last)s).",
                organisation=where,
                hours=int(f.get("hours", 0)),
                last=f["last"],
            )
        return _(
            "%(organisation)s has sent nothing since it was registered, %(hours)d hours ago.",
            organisation=where,
            hours=int(f.get("hours", 0)),
        )
    if rule == "notice_overdue":
        return _(
            "Look-back case %(case)s: the %(kind)s notice for %(din)s was due %(due)s and is "
            "not acknowledged (%(organisation)s).",
            case=f.get("case", ""),
            kind=str(NOTICE_WORDS.get(f.get("kind"), f.get("kind"))),
            din=f.get("din", ""),
            due=_when(f.get("due_at")),
            organisation=where,
        )
    return str(RULE_NAMES.get(rule, rule))
