"""The supervision API's shapes: what an authority's system asks (organisation, period,
indicators, breakdowns; alert filters) and what it gets back (figures with their names and
units in both languages; alerts with their history)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from blood.inputs import InputSchema, code
from blood.supervision.alert_rules import RULES, SEVERITIES
from blood.supervision.indicators import DIMENSIONS, INDICATORS
from blood.supervision.models import JOB_OUTCOMES, STATUSES
from blood.supervision.periods import GRAINS
from blood.validation_messages import at_most_chars, items, length, one_of

PERIOD = fields.String(
    validate=length(1, 40),
    metadata={
        "description": "A day (2026-03-05), ISO week (2026-W10), month (2026-03), quarter "
        "(2026-Q1), year (2026), range (2026-03-01..2026-03-31), or today, yesterday, "
        "this-week, last-week, this-month, last-month, this-quarter, this-year, last-28-days; "
        "read in the organisation's own time zone"
    },
)


class IndicatorQuery(InputSchema):
    organisation = code("One organisation or authority of your jurisdiction (default: yours)")
    period = PERIOD
    indicator = fields.List(
        fields.String(validate=one_of(sorted(INDICATORS))),
        validate=items(1, len(INDICATORS)),
        metadata={"description": "Indicator codes (repeat the parameter); default: all that apply"},
    )
    breakdown = fields.List(
        fields.String(validate=one_of(sorted(DIMENSIONS))),
        validate=items(1, 3),
        metadata={"description": "Break the figures down by these dimensions"},
    )


class TrendQuery(InputSchema):
    organisation = code("One organisation or authority of your jurisdiction (default: yours)")
    period = PERIOD
    indicator = fields.String(required=True, validate=one_of(sorted(INDICATORS)))
    grain = fields.String(load_default="day", validate=one_of(GRAINS))


class AlertQuery(InputSchema):
    organisation = code("Only alerts of this organisation or below it")
    status = fields.String(
        load_default="active",
        validate=one_of(["active", *STATUSES]),
        metadata={"description": "active (open or acknowledged, the default), or one status"},
    )
    severity = fields.String(validate=one_of(SEVERITIES))


class AlertCommentIn(InputSchema):
    comment = fields.String(validate=at_most_chars(1000))


class AlertCloseIn(InputSchema):
    comment = fields.String(required=True, validate=[length(1, 1000), at_most_chars(1000)])


class JobRunQuery(InputSchema):
    """The filters of the scheduler's job-run list."""

    job = fields.String(validate=length(1, 40))
    outcome = fields.String(validate=one_of(JOB_OUTCOMES))


# --- output -----------------------------------------------------------------------------------


class PeriodOut(ma.Schema):
    kind = fields.String()
    label = fields.String()
    start = fields.Date()
    end = fields.Date()


class OrganisationRefOut(ma.Schema):
    code = fields.String()
    kind = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class PartOut(ma.Schema):
    values = fields.Dict(keys=fields.String(), values=fields.String())
    numerator = fields.Float()
    denominator = fields.Float(allow_none=True)
    value = fields.Float(allow_none=True)


class FigureOut(ma.Schema):
    indicator = fields.Function(lambda f: f.indicator.code)
    name_zh = fields.Function(lambda f: f.indicator.name_zh)
    name_en = fields.Function(lambda f: f.indicator.name_en)
    unit_zh = fields.Function(lambda f: f.indicator.unit_zh)
    unit_en = fields.Function(lambda f: f.indicator.unit_en)
    aggregation = fields.Function(lambda f: f.indicator.aggregation)
    numerator = fields.Float()
    denominator = fields.Float(allow_none=True)
    value = fields.Float(
        allow_none=True,
        metadata={"description": "The count or amount, or the rate; null when not computable"},
    )
    days = fields.Integer(metadata={"description": "Days of the period with data"})
    last_day = fields.Date(allow_none=True)
    average = fields.Float(
        allow_none=True, metadata={"description": "Snapshots: the average of the period's days"}
    )
    breakdown = fields.List(fields.Nested(PartOut))


class IndicatorReportOut(ma.Schema):
    organisation = fields.Nested(OrganisationRefOut)
    period = fields.Nested(PeriodOut)
    breakdown = fields.List(fields.String())
    figures = fields.List(fields.Nested(FigureOut))


class PointOut(ma.Schema):
    period = fields.Nested(PeriodOut)
    numerator = fields.Float()
    denominator = fields.Float(allow_none=True)
    value = fields.Float(allow_none=True)
    average = fields.Float(allow_none=True)


class SeriesOut(ma.Schema):
    organisation = fields.Nested(OrganisationRefOut)
    indicator = fields.Function(lambda s: s.indicator.code)
    period = fields.Nested(PeriodOut)
    grain = fields.String()
    points = fields.List(fields.Nested(PointOut))


class AlertEventOut(ma.Schema):
    at = fields.AwareDateTime()
    kind = fields.String()
    severity = fields.String()
    actor_name = fields.String()
    comment = fields.String(allow_none=True)


class AlertOut(ma.Schema):
    id = fields.Function(lambda v: v.alert.id)
    rule = fields.Function(lambda v: v.alert.rule)
    rule_known = fields.Function(lambda v: v.alert.rule in RULES)
    organisation = fields.Function(lambda v: OrganisationRefOut().dump(v.organisation))
    subject = fields.Function(lambda v: v.alert.subject)
    severity = fields.Function(lambda v: v.alert.severity)
    status = fields.Function(lambda v: v.alert.status)
    message = fields.Function(
        lambda v: v.message, metadata={"description": "The alert as a sentence, in your language"}
    )
    facts = fields.Function(lambda v: v.alert.facts)
    opened_at = fields.Function(lambda v: _iso(v.alert.opened_at))
    last_seen_at = fields.Function(lambda v: _iso(v.alert.last_seen_at))
    acknowledged_at = fields.Function(lambda v: _iso(v.alert.acknowledged_at))
    acknowledged_by = fields.Function(lambda v: v.alert.acknowledged_by)
    closed_at = fields.Function(lambda v: _iso(v.alert.closed_at))
    closed_by = fields.Function(lambda v: v.alert.closed_by)
    closed_reason = fields.Function(lambda v: v.alert.closed_reason)
    close_comment = fields.Function(lambda v: v.alert.close_comment)


class AlertDetailOut(AlertOut):
    events = fields.Function(lambda v: AlertEventOut(many=True).dump(v.events))


def _iso(at) -> str | None:
    return at.isoformat() if at is not None else None
