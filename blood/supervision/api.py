"""The supervision API for authorities' systems: indicators for an organisation or a whole
jurisdiction and a period, series for charts, and alerts (read, acknowledge, close).

Every read is scoped: an authority sees its jurisdiction and nothing beside it (another
jurisdiction's organisation or alert answers 404). Handlers parse, call one service function
and dump with the output schemas."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request
from blood.supervision import schemas
from blood.supervision import service as supervision

blp = Blueprint(
    "supervision_api",
    __name__,
    description="Supervision for health authorities: indicators, series and alerts over "
    "the caller's jurisdiction",
)
SECURITY = [{"bearerAuth": []}]

FIGURE_EXAMPLE = {
    "indicator": "units_transfused",
    "name_zh": "输注血液",
    "name_en": "Units transfused",
    "unit_zh": "袋",
    "unit_en": "units",
    "aggregation": "sum",
    "numerator": 412.0,
    "denominator": None,
    "value": 412.0,
    "days": 30,
    "last_day": None,
    "average": None,
    "breakdown": [
        {
            "values": {"component": "red_cells"},
            "numerator": 301.0,
            "denominator": None,
            "value": 301.0,
        },
    ],
}
ORG_EXAMPLE = {
    "code": "HZ-HC",
    "kind": "authority",
    "name_zh": "杭州市卫生健康委员会",
    "name_en": "Hangzhou Municipal Health Commission",
}
PERIOD_EXAMPLE = {"kind": "month", "label": "2026-11", "start": "2026-11-01", "end": "2026-11-30"}
ALERT_EXAMPLE = {
    "id": 7,
    "rule": "stock_minimum",
    "rule_known": True,
    "organisation": {**ORG_EXAMPLE, "code": "ZJ-BC", "kind": "blood_centre"},
    "subject": "red_cells|O-",
    "severity": "red",
    "status": "open",
    "message": "O− red cells at 浙江省血液中心: 1 on hand, below the minimum of 4.",
    "facts": {"component": "red_cells", "group": "O-", "on_hand": 1, "minimum": 4},
    "opened_at": "2026-12-04T06:15:00+00:00",
    "last_seen_at": "2026-12-04T08:15:00+00:00",
    "acknowledged_at": None,
    "acknowledged_by": None,
    "closed_at": None,
    "closed_by": None,
    "closed_reason": None,
    "close_comment": None,
}


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/indicators")
class Indicators(MethodView):
    @blp.arguments(schemas.IndicatorQuery, location="query")
    @blp.response(
        200,
        schemas.IndicatorReportOut,
        example={
            "organisation": ORG_EXAMPLE,
            "period": PERIOD_EXAMPLE,
            "breakdown": ["component"],
            "figures": [FIGURE_EXAMPLE],
        },
    )
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Indicators of your jurisdiction (or of `organisation` in it) for a `period`
        (default: today, in the organisation's time zone), summed over every organisation
        below. Rates are recomputed from the summed numerators and denominators; snapshots
        (units on hand, plasma in quarantine) give the period's last day and its average.
        `indicator` and `breakdown` may be repeated."""
        return supervision.indicator_report(
            session=db.session(),
            actor=require_actor(),
            organisation_code=query.get("organisation"),
            period=query.get("period"),
            indicators=query.get("indicator"),
            breakdown=tuple(query.get("breakdown") or ()),
        )


@blp.route("/indicators/series")
class IndicatorSeries(MethodView):
    @blp.arguments(schemas.TrendQuery, location="query")
    @blp.response(200, schemas.SeriesOut)
    @blp.doc(security=SECURITY)
    def get(self, query):
        """One indicator over a period (default: the last 28 days), bucket by bucket
        (`grain`: day, week, month, quarter or year)."""
        return supervision.trend(
            session=db.session(),
            actor=require_actor(),
            organisation_code=query.get("organisation"),
            indicator=query["indicator"],
            period=query.get("period"),
            grain=query["grain"],
        )


@blp.route("/alerts")
class Alerts(MethodView):
    @blp.arguments(schemas.AlertQuery, location="query")
    @blp.response(200, schemas.AlertOut(many=True), example=[ALERT_EXAMPLE])
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, query, pagination_parameters):
        """Alerts in your jurisdiction, gravest (red, orange, yellow, blue) and newest first
        (paged: `?page=&page_size=`, totals in `X-Pagination`). `status=active` (the default)
        gives the open and acknowledged ones."""
        page = supervision.list_alerts(
            session=db.session(),
            actor=require_actor(),
            page=api_request(pagination_parameters),
            status=query["status"],
            severity=query.get("severity"),
            organisation_code=query.get("organisation"),
        )
        return api_items(pagination_parameters, page)


@blp.route("/alerts/<int:alert_id>")
class AlertById(MethodView):
    @blp.response(200, schemas.AlertDetailOut)
    @blp.doc(security=SECURITY)
    def get(self, alert_id):
        """One alert with its history: opened, escalated, eased, acknowledged, closed."""
        return supervision.get_alert(session=db.session(), actor=require_actor(), alert_id=alert_id)


@blp.route("/alerts/<int:alert_id>/acknowledge")
class AcknowledgeAlert(MethodView):
    @blp.arguments(schemas.AlertCommentIn, example={"comment": "Centre called, O− on its way"})
    @blp.response(200, schemas.AlertDetailOut)
    @blp.doc(security=SECURITY)
    def post(self, data, alert_id):
        """An inspector has seen the alert (audited); it stays active until it clears or is
        closed. 409 `alert_acknowledged` or `alert_closed` when it already is."""
        return supervision.acknowledge_alert_detail(
            session=db.session(),
            actor=require_actor(),
            alert_id=alert_id,
            comment=data.get("comment"),
        )


@blp.route("/alerts/<int:alert_id>/close")
class CloseAlert(MethodView):
    @blp.arguments(schemas.AlertCloseIn, example={"comment": "Stock restored by transfer"})
    @blp.response(200, schemas.AlertDetailOut)
    @blp.doc(security=SECURITY)
    def post(self, data, alert_id):
        """Close the alert, saying why (audited). A condition alert that clears and arises
        again opens a new alert."""
        return supervision.close_alert_detail(
            session=db.session(), actor=require_actor(), alert_id=alert_id, comment=data["comment"]
        )
