"""Supervision's business operations, one module per sub-domain (as indico splits a module):

- ``compute``: each organisation's local day into stored indicator facts (the scheduler's job);
- ``facts_plasma``, ``facts_stock``, ``facts_clinical``: what a day's facts are, per source;
- ``rollup``: facts summed over a jurisdiction and a period;
- ``dashboard``, ``stock_board``: the reads the API and the regulator's pages call;
- ``evaluate``, ``alerts``: alert rules judged, alerts opened once, acknowledged, closed;
- ``activity``: who reported last, for "silent" organisations;
- ``messages``: the words an inspector reads.

Callers import the public names from here.
"""

from blood.supervision.service.alerts import (
    AlertClosed,
    AlertDetail,
    AlertView,
    AlreadyAcknowledged,
    OpenAlerts,
    acknowledge_alert,
    acknowledge_alert_detail,
    close_alert,
    close_alert_detail,
    get_alert,
    list_alerts,
    open_alerts,
)
from blood.supervision.service.compute import ComputeResult, compute_indicators
from blood.supervision.service.dashboard import (
    ChildFigures,
    IndicatorReport,
    Overview,
    Series,
    indicator_report,
    jurisdiction_overview,
    period_for,
    trend,
)
from blood.supervision.service.evaluate import EvaluationResult, evaluate_alerts
from blood.supervision.service.reporting import ReportStatus, reporting_status
from blood.supervision.service.stock_board import StockBoard, stock_board

__all__ = [
    "AlertClosed",
    "AlertDetail",
    "AlertView",
    "AlreadyAcknowledged",
    "ChildFigures",
    "ComputeResult",
    "EvaluationResult",
    "IndicatorReport",
    "OpenAlerts",
    "Overview",
    "ReportStatus",
    "Series",
    "StockBoard",
    "acknowledge_alert",
    "acknowledge_alert_detail",
    "close_alert",
    "close_alert_detail",
    "compute_indicators",
    "evaluate_alerts",
    "get_alert",
    "indicator_report",
    "jurisdiction_overview",
    "list_alerts",
    "open_alerts",
    "period_for",
    "reporting_status",
    "stock_board",
    "trend",
]
