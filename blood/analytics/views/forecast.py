"""The forecast pages (routes on ``blood.analytics.views.bp``): a blood centre's forecast of
issues per component and group, its projected shortages and backtest, a chart of actual
against forecast, and the CSV. Views parse, call one service function and render."""

from __future__ import annotations

import csv
import io

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.analytics.service import forecast as forecasts
from blood.analytics.service import jurisdiction
from blood.analytics.views import bp
from blood.analytics.words import METHOD_WORDS, NOTE_WORDS
from blood.charts import forecast_chart
from blood.errors import ValidationFailed
from blood.template_helpers import NAV_ITEMS, NavItem

NAV_ITEMS.append(
    NavItem("analytics.forecast", _l("Forecast"), visible=forecasts.may_read_forecasts)
)


def _query() -> tuple[str | None, str | None]:
    centre = request.args.get("centre") or None
    series = request.args.get("series") or None
    if (centre and len(centre) > 20) or (series and len(series) > 30):
        raise ValidationFailed({"centre": [_("Too long.")]})
    return centre, series


def _chart(page: forecasts.CentreForecast, chosen) -> object:
    if chosen is None:
        return None
    past = page.actual.get(chosen.id, [])
    ahead = page.days.get(chosen.id, [])
    labels = [f"{d:%m-%d}" for d, _n in past] + [f"{d.day:%m-%d}" for d in ahead]
    gap = [None] * len(past)
    return forecast_chart(
        _("Issues: actual and forecast"),
        labels,
        actual=[float(n) for _d, n in past] + [None] * len(ahead),
        mean=gap + [d.mean for d in ahead],
        lower=gap + [d.lower for d in ahead],
        upper=gap + [d.upper for d in ahead],
        names=(_("Actual"), _("Forecast"), _("Interval (95%), lower"), _("Interval (95%), upper")),
        unit=_("units a day"),
    )


@bp.get("/forecast")
@login_required
def forecast():
    centre, wanted = _query()
    page = forecasts.centre_forecast(
        session=db.session(), actor=require_actor(), centre_code=centre
    )
    chosen = page.chosen(wanted) if page else None
    return render_template(
        "analytics/forecast.html",
        page=page,
        chosen=chosen,
        chart=_chart(page, chosen) if page else None,
        series_key=forecasts.series_key,
        windows=forecasts.TOTAL_WINDOWS,
        methods=METHOD_WORDS,
        notes=NOTE_WORDS,
    )


@bp.get("/forecast.csv")
@login_required
def forecast_csv():
    centre, _wanted = _query()
    page = forecasts.centre_forecast(
        session=db.session(), actor=require_actor(), centre_code=centre
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Blood centre"),
            _("Component"),
            _("Group"),
            _("Day"),
            _("Forecast issues"),
            _("Interval (95%), lower"),
            _("Interval (95%), upper"),
            _("Projected units held"),
            _("Days of supply"),
            _("Method"),
        ]
    )
    for series in page.series if page else []:
        for day in page.days.get(series.id, []):
            writer.writerow(
                [
                    page.centre.code,
                    series.component,
                    f"{series.abo}{series.rhd}",
                    day.day.isoformat(),
                    f"{day.mean:.2f}",
                    f"{day.lower:.2f}",
                    f"{day.upper:.2f}",
                    f"{day.projected_units:g}",
                    "" if day.days_of_supply is None else f"{day.days_of_supply:.2f}",
                    str(METHOD_WORDS.get(series.method, series.method)),
                ]
            )
    name = page.centre.code if page else "none"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=forecast-{name}.csv"},
    )


@bp.get("/forecast/jurisdiction")
@login_required
def jurisdiction_forecast():
    _centre, wanted = _query()
    page = jurisdiction.jurisdiction_forecast(session=db.session(), actor=require_actor())
    chosen = page.chosen(wanted)
    chart = None
    if chosen is not None:
        gap = [None] * len(chosen.actual)
        chart = forecast_chart(
            _("Issues: actual and forecast, the sum of the centres"),
            [f"{d:%m-%d}" for d, _n in chosen.actual] + [f"{d:%m-%d}" for d in chosen.days],
            actual=[float(n) for _d, n in chosen.actual] + [None] * len(chosen.days),
            mean=gap + chosen.mean,
            lower=gap + chosen.lower,
            upper=gap + chosen.upper,
            names=(_("Actual"), _("Forecast"), _("At most: lower"), _("At most: upper")),
            unit=_("units a day"),
        )
    return render_template(
        "analytics/jurisdiction.html",
        page=page,
        chosen=chosen,
        chart=chart,
        windows=forecasts.TOTAL_WINDOWS,
    )


@bp.get("/forecast/jurisdiction.csv")
@login_required
def jurisdiction_forecast_csv():
    page = jurisdiction.jurisdiction_forecast(session=db.session(), actor=require_actor())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Jurisdiction"),
            _("Component"),
            _("Group"),
            _("Day"),
            _("Forecast issues"),
            _("At most: lower"),
            _("At most: upper"),
            _("Blood centres"),
        ]
    )
    for group in page.groups:
        for i, day in enumerate(group.days):
            writer.writerow(
                [
                    page.authority.code,
                    group.component,
                    f"{group.abo}{group.rhd}",
                    day.isoformat(),
                    f"{group.mean[i]:.2f}",
                    f"{group.lower[i]:.2f}",
                    f"{group.upper[i]:.2f}",
                    group.centres,
                ]
            )
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=forecast-{page.authority.code}.csv"},
    )
