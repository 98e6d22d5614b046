"""The blood centre's laboratory: one sample or a pasted batch of results."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db, isbt128
from blood.accounts.auth import require_actor
from blood.pagination import PageRequest
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.views import bp
from blood.web import Submission, load_form, submit


def batch_columns(markers: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of a pasted batch line, in order."""
    return ("din", "abo", "rhd", *markers)


def column_labels(markers: tuple[str, ...]) -> str:
    """The columns as the page names them: "DIN, ABO, RhD, ALT, HBsAg …"."""
    return ", ".join(["DIN", "ABO", "RhD", *(stock.marker_label(m) for m in markers)])


def example_batch_line(markers: tuple[str, ...]) -> str:
    """An example line the batch form takes as it is (its DIN's check character is right)."""
    din = "B330026000001"
    cells = {"din": din + isbt128.check_character(din), "abo": "A", "rhd": "+", "alt": "18"}
    return ",".join(cells.get(column, "negative") for column in batch_columns(markers))


def parse_batch(text: str, markers: tuple[str, ...]) -> tuple[list[dict], dict[str, list[str]]]:
    """Pasted lines (commas or tabs) as rows of the one-sample form; a header line is
    skipped; an empty cell is "not entered now". Errors name the line."""
    columns = batch_columns(markers)
    rows: list[dict] = []
    errors: dict[str, list[str]] = {}
    # Trailing tabs are empty cells: only line ends are taken off.
    lines = [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]
    data_lines = [
        line for line in lines if line.split(",")[0].split("\t")[0].strip().lower() != "din"
    ]
    # A header line is skipped; lines are numbered as the samples they hold.
    for index, line in enumerate(data_lines):
        cells = [c.strip() for c in line.replace("\t", ",").split(",")]
        if len(cells) != len(columns):
            errors[f"results.{index}.values"] = [
                _(
                    "Expected %(n)d values: %(columns)s",
                    n=len(columns),
                    columns=column_labels(markers),
                )
            ]
            continue
        row = {
            column: cell.lower() if column in markers else cell.upper()
            for column, cell in zip(columns, cells, strict=True)
        }
        rows.append(row)
    if not rows and not errors:
        errors["batch"] = [_("Paste at least one line.")]
    return rows, errors


def _lab_inputs(rows: list[dict], markers: tuple[str, ...]) -> list[stock.LabInput]:
    return [
        stock.LabInput(
            din=row["din"],
            abo=row.get("abo"),
            rhd=row.get("rhd"),
            results={m: row[m] for m in markers if m in row},
        )
        for row in rows
    ]


def _load_rows(
    rows: list[dict], markers: tuple[str, ...], *, batch: bool
) -> tuple[list[dict], dict[str, list[str]]]:
    """Each row loaded with the one-sample schema; in a batch the errors name the line."""
    loaded, errors = [], {}
    for index, row in enumerate(rows):
        data, row_errors = load_form(schemas.lab_result_schema(markers), row)
        for name, messages in row_errors.items():
            errors[f"results.{index}.{name}" if batch else name] = messages
        loaded.append(data)
    return loaded, errors


@bp.route("/lab", methods=["GET", "POST"])
@login_required
def lab():
    actor, session = require_actor(), db.session()
    markers = stock.lab_markers(session=session)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        batch = bool(request.form.get("batch", "").strip())
        if batch:
            rows, errors = parse_batch(request.form["batch"], markers)
        else:
            rows, errors = [request.form.to_dict()], {}
            rows[0].pop("csrf_token", None)
        if not errors:
            loaded, errors = _load_rows(rows, markers, batch=batch)
        if errors:
            result = Submission(errors=errors)
        else:
            result = submit(
                None,
                lambda _data: stock.record_lab_results(
                    session=session, actor=actor, results=_lab_inputs(loaded, markers)
                ),
            )
            if batch and len(rows) == 1:
                # The service names a lone sample's fields plainly; in a batch, by line.
                result.errors = {
                    k if k.startswith("results.") else f"results.0.{k}": v
                    for k, v in result.errors.items()
                }
        if result.ok:
            failed = [o for o in result.value if o.failed]
            discrepant = [o for o in result.value if o.group_status == "discrepant"]
            flash(
                _(
                    "Results recorded for %(n)d donations; %(bad)d failed and their "
                    "components are discarded.",
                    n=len(result.value),
                    bad=len(failed),
                ),
                "success",
            )
            for outcome in discrepant:
                flash(
                    _(
                        "DIN %(din)s: the group differs from the donor's record; nothing from "
                        "it is released until the quality manager resolves it.",
                        din=outcome.donation.din,
                    ),
                    "info",
                )
            return redirect(url_for("stock.lab"))
    overview = stock.lab_overview(
        session=session,
        actor=actor,
        page=PageRequest.from_args(request.args),
        discrepancies_page=PageRequest.from_args(
            {"page": request.args.get("discrepancies_page", "1")}
        ),
    )
    return (
        render_template(
            "stock/lab.html",
            lab_duty=stock.LAB_RESULTS.for_actor(actor),
            overview=overview,
            markers=markers,
            marker_labels={m: stock.marker_label(m) for m in markers},
            measured=stock.MEASURED_MARKERS,
            alt_limit=stock.alt_limit(session=session),
            columns=column_labels(markers),
            example=example_batch_line(markers),
            errors=result.errors,
            form=request.form,
            groups=stock.GROUPS,
        ),
        result.status,
    )
