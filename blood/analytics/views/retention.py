"""The retention page (routes on ``blood.analytics.views.bp``): the share of first-time donors
who came back within 6 and 12 months, by the month they first gave, with a chart and the CSV.
Views parse, call one service function and render."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.analytics.schemas import RetentionQueryIn
from blood.analytics.service import retention as retentions
from blood.analytics.views import bp
from blood.charts import line_chart
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.web import load_form

NAV_ITEMS.append(
    NavItem("analytics.retention", _l("Donor retention"), visible=retentions.may_read_retention)
)
KIND_WORDS = {"plasma": _l("Plasma"), "whole_blood": _l("Whole blood")}


def _report() -> tuple[retentions.RetentionReport, dict]:
    """The report asked for; choices that do not parse are shown with their message, and
    the report falls back to its defaults."""
    args = {k: v for k, v in request.args.items() if v}
    query, errors = load_form(RetentionQueryIn(), args)
    report = retentions.retention(
        session=db.session(), actor=require_actor(), **(query if not errors else {})
    )
    return report, errors


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


def _chart(report: retentions.RetentionReport):
    shown = report.total or (report.organisations[0] if report.organisations else None)
    if shown is None:
        return None
    return line_chart(
        _("Back within 6 and 12 months, by the month of the first donation"),
        [f"{c.month:%Y-%m}" for c in shown.cohorts],
        [
            (_("Within 6 months"), [_percent(c.share(6)) for c in shown.cohorts]),
            (_("Within 12 months"), [_percent(c.share(12)) for c in shown.cohorts]),
        ],
        unit="%",
    )


@bp.get("/retention")
@login_required
def retention():
    report, errors = _report()
    page = render_template(
        "analytics/retention.html",
        report=report,
        chart=_chart(report),
        kinds=KIND_WORDS,
        windows=retentions.WINDOWS,
        errors=errors,
        form={k: v for k, v in request.args.items() if v},
    )
    return page, 422 if errors else 200


@bp.get("/retention.csv")
@login_required
def retention_csv():
    report, _errors = _report()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Organisation"),
            _("Kind of donation"),
            _("Month of the first donation"),
            _("First-time donors"),
            _("Back within 6 months"),
            _("Back within 12 months"),
        ]
    )
    rows = [*report.organisations, *([report.total] if report.total else [])]
    for row in rows:
        for cohort in row.cohorts:
            writer.writerow(
                [
                    row.organisation.code,
                    str(KIND_WORDS[row.kind]),
                    f"{cohort.month:%Y-%m}",
                    cohort.donors,
                    *("" if cohort.back[w] is None else cohort.back[w] for w in retentions.WINDOWS),
                ]
            )
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=retention-{report.kind}.csv"},
    )
