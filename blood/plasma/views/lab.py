"""The station's laboratory: one sample or a pasted batch of results."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.views import bp, station_actor
from blood.web import Submission, load_form, submit

BATCH_COLUMNS = ("din", "total_protein_g_l", "alt_u_l", "hbsag", "anti_hcv", "anti_hiv", "syphilis")
# Shown in the batch form's help; tests/plasma check that each one parses (a DIN with its
# right check character, every value accepted).
BATCH_EXAMPLES = ("W123426000001N,65,18,negative,negative,negative,negative",)


def _parse_batch(text: str) -> tuple[list[tuple[int, dict]], dict[str, list[str]]]:
    """The pasted lines as (line number in the text, values) pairs; errors name the line
    (``results.2.value_count`` reads "Line 3: Number of values")."""
    rows, errors = [], {}
    columns = _("DIN, protein, ALT, HBsAg, anti-HCV, anti-HIV, syphilis")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        cells = [c.strip() for c in line.replace("\t", ",").split(",")]
        if cells[0].lower() == "din":
            continue  # a header row
        if len(cells) != len(BATCH_COLUMNS):
            errors[f"results.{number - 1}.value_count"] = [
                _(
                    "%(n)d values expected, separated by commas: %(columns)s.",
                    n=len(BATCH_COLUMNS),
                    columns=columns,
                )
            ]
            continue
        rows.append((number, dict(zip(BATCH_COLUMNS, cells, strict=True))))
    if not rows and not errors:
        errors["batch"] = [_("Paste at least one line.")]
    return rows, errors


def _load_batch(text: str) -> tuple[list[dict], list[int], dict[str, list[str]]]:
    """The pasted lines, each loaded with the one-sample schema, and each row's line number
    in the text; errors name the line and the field (``results.2.din``: "Line 3: DIN")."""
    rows, errors = _parse_batch(text)
    loaded, numbers = [], []
    if not errors:
        for number, row in rows:
            data, row_errors = load_form(schemas.LabResultIn(), row)
            for name, messages in row_errors.items():
                errors[f"results.{number - 1}.{name}"] = messages
            loaded.append(data)
            numbers.append(number)
    return loaded, numbers, errors


def _by_line(errors: dict[str, list[str]], numbers: list[int]) -> dict[str, list[str]]:
    """The service's errors name a row of the batch (``results.0.din``); the page names the
    line of the pasted text it came from (a header or blank lines shift them)."""
    renamed = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if len(parts) >= 3 and parts[0] == "results" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(numbers):
                parts[1] = str(numbers[index] - 1)
        elif len(numbers) == 1 and key in BATCH_COLUMNS:
            parts = ["results", str(numbers[0] - 1), key]  # a batch of one line
        renamed[".".join(parts)] = messages
    return renamed


def _lab_page(errors: dict, status: int):
    return (
        render_template(
            "plasma/lab.html",
            errors=errors,
            form=request.form,
            batch_examples=BATCH_EXAMPLES,
            lab_duty=plasma.LAB_RESULTS.for_actor(station_actor()),
        ),
        status,
    )


@bp.route("/lab", methods=["GET", "POST"])
@login_required
def lab():
    actor = station_actor()
    if request.method == "GET":
        return _lab_page({}, 200)

    def record(rows: list[dict]):
        return plasma.record_lab_results(
            session=db.session(), actor=actor, results=[plasma.LabInput(**row) for row in rows]
        )

    if request.form.get("batch", "").strip():
        rows, numbers, errors = _load_batch(request.form["batch"])
        result = Submission(errors=errors) if errors else submit(None, lambda _d: record(rows))
        if not result.ok:
            result = Submission(errors=_by_line(result.errors, numbers))
    else:
        result = submit(schemas.LabResultIn(), lambda data: record([data]))
    if not result.ok:
        return _lab_page(result.errors, 422)
    flagged = sum(1 for r in result.value if r.outcome != "negative")
    flash(
        _(
            "%(n)d results recorded; %(bad)d units marked for destruction.",
            n=len(result.value),
            bad=flagged,
        ),
        "success",
    )
    return redirect(url_for("plasma.lab"))
