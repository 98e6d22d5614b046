"""The dashboard's charts, drawn on the server as SVG by pygal and put inline in the page.

The pages' Content-Security-Policy allows no inline script and no inline style, so a chart
carries neither: pygal's ``<script>`` and ``<style>`` elements are taken out of the drawing,
and the look pygal's stylesheet gives (colours, fonts, axes) comes from the project's own
static file ``blood/static/charts.css``, written by :func:`stylesheet` (``python -m
blood.supervision.charts > blood/static/charts.css``; a test checks it is up to date).

Labels are the reader's language; the font list starts with the CJK fonts, so Chinese titles
and axis labels are drawn, not boxes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

from blood.supervision import periods as P

FONT = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", "WenQuanYi Micro Hei", system-ui, sans-serif'
)
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d1d1f",
    foreground_strong="#1d1d1f",
    foreground_subtle="#5b5b66",
    opacity=".85",
    opacity_hover=".95",
    colors=("#a4161a", "#1f5fa8", "#2b7a2b", "#b36b00", "#6a3d9a", "#0f7c80", "#5b5b66"),
    font_family=FONT,
    title_font_size=15,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    value_font_size=12,
    no_data_font_size=16,
)
CHART_CLASS = "pygal-chart"
SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)


def _options(**extra) -> dict:
    return {
        "style": STYLE,
        "js": [],  # no script references
        "css": [],  # pygal's own stylesheets: charts.css has them
        "disable_xml_declaration": True,
        "explicit_size": False,
        "width": 640,
        "height": 300,
        "show_legend": False,
        "margin": 12,
        "print_values": False,
        "x_label_rotation": 0,
        "truncate_label": -1,
        "show_minor_x_labels": True,
        **extra,
    }


def bucket_label(period: P.Period, grain: str) -> str:
    """A bucket on the x axis: 03-05, W10, 2026-03, 2026-Q1, 2026."""
    if grain == P.DAY:
        return f"{period.start:%m-%d}"
    if grain == P.WEEK:
        return f"W{period.start.isocalendar()[1]:02d}"
    return P.OF_KIND[grain](period.start).label


def _clean(root: ET.Element, title: str) -> Markup:
    """The drawing without scripts, inline styles or ids that would repeat across charts;
    named for screen readers by its title."""
    for parent in list(root.iter()):
        for child in list(parent):
            if _local(child.tag) in ("script", "style"):
                parent.remove(child)
    for element in root.iter():
        element.attrib.pop("style", None)  # an inline style attribute is refused too
        if element is not root:
            element.attrib.pop("id", None)
    root.attrib.pop("id", None)
    root.set("class", CHART_CLASS)
    root.set("role", "img")
    root.set("aria-label", title)
    text = ET.tostring(root, encoding="unicode")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return Markup(text)


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    unit: str = "",
    bar: bool = False,
    no_data: str = "—",
) -> Markup:
    """A line (or bar) chart of one or more series over the same buckets, as inline SVG."""
    kind = pygal.Bar if bar else pygal.Line
    many = len(labels) > 16
    heading = f"{title} ({unit})" if unit else title
    chart = kind(
        **_options(
            title=heading,
            show_legend=len(series) > 1,
            legend_at_bottom=True,
            show_minor_x_labels=not many,
            x_labels_major_every=max(1, len(labels) // 8) if many else None,
            show_dots=len(labels) <= 40,
            no_data_text=no_data,
            allow_interruptions=True,
        )
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _clean(chart.render_tree(), heading)


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


def stylesheet() -> str:
    """pygal's stylesheets for charts with the class ``pygal-chart`` (what charts.css
    holds), from a drawing pygal styles itself."""
    chart = pygal.Line(style=STYLE, js=[], disable_xml_declaration=True)
    chart.add("", [1] * 1)
    for _i in range(len(STYLE.colors) - 1):
        chart.add("", [1])
    root = chart.render_tree()
    prefix = f"#chart-{chart.uuid}"
    found = [e.text or "" for e in root.iter() if _local(e.tag) == "style"]
    css = (
        "\n".join(found)
        .replace(f"{prefix} ", f".{CHART_CLASS} ")
        .replace(prefix, f".{CHART_CLASS}")
    )
    # One rule a line, so the file reads (and diffs) as CSS.
    css = css.replace("}", "}\n")
    extra = (
        f".{CHART_CLASS} {{ width: 100%; height: auto; max-height: 22rem; }}\n"
        f".{CHART_CLASS} .tooltip {{ display: none; }}\n"
    )
    return (
        "/* Generated by blood.supervision.charts.stylesheet() from pygal's stylesheets: the\n"
        "   dashboard's inline charts carry no <style> of their own (CSP). */\n" + css + extra
    )


if __name__ == "__main__":  # pragma: no cover
    print(stylesheet(), end="")
