"""The dashboard's charts: its buckets and trends, drawn with the shared chart helpers
(``blood.charts``: pygal, inline SVG without script or style, ``charts.css``)."""

from __future__ import annotations

from markupsafe import Markup

from blood.charts import CHART_CLASS, FONT, STYLE, line_chart, stylesheet
from blood.supervision import periods as P

__all__ = [
    "CHART_CLASS",
    "FONT",
    "STYLE",
    "bucket_label",
    "line_chart",
    "series_chart",
    "stylesheet",
]


def bucket_label(period: P.Period, grain: str) -> str:
    """A bucket on the x axis: 03-05, W10, 2026-03, 2026-Q1, 2026."""
    if grain == P.DAY:
        return f"{period.start:%m-%d}"
    if grain == P.WEEK:
        return f"W{period.start.isocalendar()[1]:02d}"
    return P.OF_KIND[grain](period.start).label


def series_chart(series, locale: str, *, no_data: str = "—") -> Markup:
    """A dashboard trend (``service.dashboard.Series``) as a chart."""
    indicator = series.indicator
    labels = [bucket_label(p.period, series.grain) for p in series.points]
    values = [p.value for p in series.points]
    return line_chart(
        indicator.name(locale),
        labels,
        [(indicator.name(locale), values)],
        unit=indicator.unit(locale),
        bar=not indicator.is_rate and not indicator.is_snapshot,
        no_data=no_data,
    )


if __name__ == "__main__":  # pragma: no cover
    print(stylesheet(), end="")
