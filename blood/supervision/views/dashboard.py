"""The dashboard of a jurisdiction (or one organisation of it) for a period, and the CSV of
each of its tables. The organisation and the period are always in the URL (``?org=HZ&
period=2026-03``), so a drill-down link, the breadcrumb and every export keep them."""

from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.errors import ValidationFailed
from blood.supervision import charts
from blood.supervision import periods as P
from blood.supervision.service import exports, pages
from blood.supervision.service.messages import SEVERITY_WORDS
from blood.supervision.views import bp
from blood.supervision.views import tables as T

PICKER_KINDS = (P.DAY, P.WEEK, P.MONTH, P.QUARTER, P.YEAR, P.RANGE)
QUICK_PERIODS = (
    "today",
    "this-week",
    "this-month",
    "last-month",
    "this-quarter",
    "this-year",
    "last-28-days",
)


def period_text(args) -> str | None:
    """The period the picker names: the typed ``period``, or a kind and a day in it, or a
    range's two days; None for the default (this month). Reading only: the service judges."""
    if args.get("period"):
        return args["period"]
    kind = args.get("kind")
    if kind == P.RANGE and (args.get("from") or args.get("to")):
        return f"{args.get('from', '')}..{args.get('to', '')}"
    if kind in P.OF_KIND and args.get("on"):
        try:
            return P.OF_KIND[kind](date.fromisoformat(args["on"])).label
        except ValueError:
            return args["on"]
    return None


def _page(organisation_code: str | None, text: str | None):
    """The dashboard, or (for a period the service cannot read) the default one with the
    reason."""
    actor, session = require_actor(), db.session()
    alerts_page = request.args.get("alerts_page", "1")
    number = int(alerts_page) if alerts_page.isdigit() and len(alerts_page) < 6 else 1
    try:
        found = pages.dashboard(
            session=session,
            actor=actor,
            organisation_code=organisation_code,
            period=text,
            alerts_page=number,
        )
        return found, {}
    except ValidationFailed as refused:
        if organisation_code is None and text is None:
            raise
        found = pages.dashboard(session=session, actor=actor, organisation_code=organisation_code)
        return found, dict(refused.fields)


@bp.get("/")
@login_required
def dashboard():
    org = request.args.get("org") or None
    text = period_text(request.args)
    if request.args.get("kind") and text:  # the picker: to the canonical URL
        return redirect(url_for("supervision.dashboard", org=org, period=text))
    page, errors = _page(org, text)
    loc = T.locale()
    args = {"period": page.period.label}
    return (
        render_template(
            "supervision/dashboard.html",
            page=page,
            errors=errors,
            typed=text if errors else page.period.label,
            args=args,
            org_args={"org": page.organisation.code, **args},
            figures=T.figures_table(page),
            children=T.children_table(page, args),
            stock=T.stock_table(page, args),
            reporting=T.reporting_table(page),
            alerts=T.alerts_table(page.alerts.page.items, title=_("Open alerts")),
            trends=[
                (T.trend_table(s), charts.series_chart(s, loc, no_data=_("No data")))
                for s in page.trends
            ],
            severity_words=SEVERITY_WORDS,
            picker_kinds=PICKER_KINDS,
            quick_periods=QUICK_PERIODS,
        ),
        422 if errors else 200,
    )


@bp.get("/export/<table>.csv")
@login_required
def export(table: str):
    """One table of the dashboard as CSV, from the same service call as the page."""
    org = request.args.get("org") or None
    text = request.args.get("period") or None
    actor, session = require_actor(), db.session()
    if table == "alerts":
        found = exports.alerts_for_export(session=session, actor=actor, organisation_code=org)
        name = f"alerts-{org or 'all'}.csv"
        return T.csv_response(T.alerts_table(found), name)
    page = pages.dashboard(session=session, actor=actor, organisation_code=org, period=text)
    built = {
        "figures": lambda: T.figures_table(page),
        "children": lambda: T.children_table(page, {"period": page.period.label}),
        "stock": lambda: T.stock_export(page),
        "reporting": lambda: T.reporting_table(page),
    }
    for series in page.trends:
        built[f"trend-{series.indicator.code}"] = lambda s=series: T.trend_table(s)
    if table not in built:
        abort(404)
    name = f"{table}-{page.organisation.code}-{page.period.label.replace('..', '_')}.csv"
    return T.csv_response(built[table](), name)
