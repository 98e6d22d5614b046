"""The dashboard's tables, built once from what the service returned and used twice: drawn in
the page and written as CSV (UTF-8 with a byte-order mark, so Excel reads Chinese). Only
words and formatting here: names of organisations, translated terms, figures."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Response, url_for
from flask_babel import format_datetime, format_decimal, get_locale
from flask_babel import gettext as _

from blood.accounts.roles import KIND_LABELS, OrgKind
from blood.clinical.messages import COMPONENT_LABELS
from blood.supervision.alert_rules import group_label
from blood.supervision.charts import bucket_label
from blood.supervision.service.messages import (
    PHASE_WORDS,
    RULE_NAMES,
    STATUS_WORDS,
    alert_message,
    severity_word,
)

# The columns of the drill-down table, when the organisations below have them.
CHILD_COLUMNS = (
    "plasma_donations",
    "plasma_collected_kg",
    "blood_collections",
    "units_issued",
    "transfusions",
    "stock_on_hand",
    "wastage_rate",
    "reactive_rate",
    "adverse_reaction_rate",
)


def locale() -> str:
    return str(get_locale() or "zh_CN")


@dataclass(frozen=True)
class Cell:
    text: str  # as the page shows it
    raw: object = None  # as the CSV holds it (default: the text)
    css: str = ""
    href: str | None = None
    title: str = ""

    @property
    def csv(self) -> object:
        return self.text if self.raw is None else self.raw


@dataclass
class Table:
    key: str  # the export's name: /supervision/export/<key>.csv
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()  # columns aligned right
    note: str = ""


def number(value: float | None, decimals: int = 1) -> Cell:
    if value is None:
        return Cell("—", "")
    shown = format_decimal(value, format="#,##0" + ("." + "#" * decimals if decimals else ""))
    raw = f"{value:.{decimals}f}"
    return Cell(shown, raw.rstrip("0").rstrip(".") if "." in raw else raw)


def org_name(org) -> str:
    return org.name(locale()) if org is not None else "—"


def kind_word(org) -> str:
    return str(KIND_LABELS.get(OrgKind(org.kind), org.kind))


def when(at: datetime | None) -> Cell:
    if at is None:
        return Cell("—", "")
    return Cell(format_datetime(at, "yyyy-MM-dd HH:mm"), format_datetime(at, "yyyy-MM-dd HH:mm"))


def figure_value(figure) -> float | None:
    return figure.value


# --- the dashboard's tables -------------------------------------------------------------------


def figures_table(page) -> Table:
    loc = locale()
    table = Table(
        "figures",
        _(
            "Indicators of %(name)s, %(period)s",
            name=org_name(page.organisation),
            period=page.period.label,
        ),
        [
            _("Indicator"),
            _("Figure"),
            _("Unit of measure"),
            _("Counted"),
            _("Divided by"),
            _("Days with data"),
        ],
        numeric=frozenset({1, 3, 4, 5}),
        note=_("A stock figure is the last day's with data in the period."),
    )
    for f in page.overview.figures:
        i = f.indicator
        table.rows.append(
            [
                Cell(i.name(loc), title=i.numerator(loc)),
                number(f.value, i.decimals),
                Cell(i.unit(loc)),
                number(f.numerator, 1),
                number(f.denominator, 1) if i.is_rate else Cell("", ""),
                Cell(str(f.days), f.days),
            ]
        )
    return table


def children_table(page, args: dict) -> Table:
    loc = locale()
    present = {code for child in page.overview.children for code in child.figures}
    columns = [c for c in CHILD_COLUMNS if c in present]
    indicators = {f.indicator.code: f.indicator for f in page.overview.figures}
    table = Table(
        "children",
        _("Below %(name)s", name=org_name(page.organisation)),
        [_("Organisation"), _("Kind")]
        + [f"{indicators[c].name(loc)} ({indicators[c].unit(loc)})" for c in columns],
        numeric=frozenset(range(2, 2 + len(columns))),
    )
    for child in page.overview.children:
        org = child.organisation
        row = [
            Cell(org_name(org), href=url_for("supervision.dashboard", org=org.code, **args)),
            Cell(kind_word(org)),
        ]
        for code in columns:
            f = child.figures.get(code)
            row.append(number(f.value, f.indicator.decimals) if f is not None else Cell("", ""))
        table.rows.append(row)
    return table


def _groups(board) -> list[str]:
    seen: list[str] = []
    for c in board.totals:
        if c.group not in seen:
            seen.append(c.group)
    return seen


def _stock_cell(cell) -> Cell:
    if cell is None:
        return Cell("—")
    days = "—" if cell.days is None else format_decimal(cell.days, format="#,##0.#")
    phase = str(PHASE_WORDS.get(cell.phase, cell.phase))
    css = f"phase-{cell.phase}" + (" below-minimum" if cell.below_minimum else "")
    title = _(
        "%(days)s days of supply, %(on_hand)d on hand, %(daily)s used a day; phase %(phase)s",
        days=days,
        on_hand=cell.on_hand,
        daily=format_decimal(cell.daily_use),
        phase=phase,
    )
    return Cell(f"{days} · {cell.on_hand}", css=css, title=title)


def stock_table(page, args: dict) -> Table:
    """Days of supply · units on hand, per holder and component (rows) and group
    (columns), coloured by phase; the jurisdiction's totals first."""
    board = page.stock
    groups = _groups(board)
    table = Table(
        "stock",
        _("Stock: days of supply · units on hand"),
        [_("Organisation"), _("Component")] + [group_label(g) for g in groups],
        numeric=frozenset(range(2, 2 + len(groups))),
        note=_(
            "From each holder's latest stock snapshot (today's, or yesterday's); the "
            "colour is the phase of the days of supply."
        ),
    )
    components = []
    for c in board.totals:
        if c.component not in components:
            components.append(c.component)
    totals = {(c.component, c.group): c for c in board.totals}
    for component in components if len(board.holders) > 1 else ():
        table.rows.append(
            [
                Cell(_("All of %(name)s", name=org_name(board.organisation)), css="total"),
                Cell(str(COMPONENT_LABELS.get(component, component))),
            ]
            + [_stock_cell(totals.get((component, g))) for g in groups]
        )
    for holder in board.holders:
        for component in components:
            table.rows.append(
                [
                    Cell(
                        org_name(holder.organisation),
                        href=url_for("supervision.dashboard", org=holder.organisation.code, **args),
                    ),
                    Cell(str(COMPONENT_LABELS.get(component, component))),
                ]
                + [_stock_cell(holder.cell(component, g)) for g in groups]
            )
    return table


def stock_export(page) -> Table:
    """The stock board as CSV: one line per holder, component and group."""
    table = Table(
        "stock",
        _("Stock"),
        [
            _("Organisation"),
            _("Organisation code"),
            _("Snapshot day"),
            _("Component"),
            _("Group"),
            _("On hand"),
            _("Daily use"),
            _("Days of supply"),
            _("Phase"),
            _("Minimum"),
        ],
    )
    for holder in page.stock.holders:
        org = holder.organisation
        for c in holder.cells:
            table.rows.append(
                [
                    Cell(org_name(org)),
                    Cell(org.code),
                    Cell(holder.day.isoformat() if holder.day else ""),
                    Cell(str(COMPONENT_LABELS.get(c.component, c.component))),
                    Cell(group_label(c.group)),
                    Cell(str(c.on_hand), c.on_hand),
                    Cell(str(c.daily_use), c.daily_use),
                    Cell("" if c.days is None else str(c.days), "" if c.days is None else c.days),
                    Cell(str(PHASE_WORDS.get(c.phase, c.phase))),
                    Cell("" if c.minimum is None else str(c.minimum)),
                ]
            )
    return table


def alerts_table(views: Iterable, key: str = "alerts", title: str | None = None) -> Table:
    table = Table(
        key,
        title or _("Alerts"),
        [_("Severity"), _("Organisation"), _("Rule"), _("Alert"), _("Opened"), _("Status")],
    )
    for view in views:
        alert, org = view.alert, view.organisation
        table.rows.append(
            [
                Cell(severity_word(alert.severity), css=f"severity severity-{alert.severity}"),
                Cell(org_name(org)),
                Cell(str(RULE_NAMES.get(alert.rule, alert.rule))),
                Cell(
                    alert_message(alert, org), href=url_for("supervision.alert", alert_id=alert.id)
                ),
                when(alert.opened_at),
                Cell(str(STATUS_WORDS.get(alert.status, alert.status))),
            ]
        )
    return table


def reporting_table(page) -> Table:
    """Each station, blood centre, hospital and manufacturer with its last record; the
    silent ones (nothing for the silence window) first."""
    table = Table(
        "reporting",
        _("Last reports"),
        [_("Organisation"), _("Kind"), _("Last record"), _("Reporting")],
    )
    for status in page.reporting:
        table.rows.append(
            [
                Cell(org_name(status.organisation)),
                Cell(kind_word(status.organisation)),
                when(status.last_record_at),
                Cell(_("Silent"), css="silent") if status.silent else Cell(_("Reporting")),
            ]
        )
    return table


def trend_table(series) -> Table:
    loc = locale()
    i = series.indicator
    table = Table(
        f"trend-{i.code}",
        f"{i.name(loc)} ({i.unit(loc)})",
        [_("Period"), _("From"), _("To"), i.name(loc)]
        + ([_("Counted"), _("Divided by")] if i.is_rate else []),
        numeric=frozenset({3, 4, 5}),
    )
    for p in series.points:
        row = [
            Cell(bucket_label(p.period, series.grain), p.period.label),
            Cell(p.period.start.isoformat()),
            Cell(p.period.end.isoformat()),
            number(p.value, i.decimals),
        ]
        if i.is_rate:
            row += [number(p.numerator, 1), number(p.denominator, 1)]
        table.rows.append(row)
    return table


# --- CSV ----------------------------------------------------------------------------------------


def csv_response(table: Table, filename: str) -> Response:
    """The table as CSV: UTF-8 with a byte-order mark (Excel then reads Chinese), CRLF."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_safe(cell.csv) for cell in row])
    body = "\ufeff" + out.getvalue()
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_." else "-" for ch in filename)
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{safe}"',
        },
    )


def _safe(value: object) -> object:
    """A text a spreadsheet would run as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
