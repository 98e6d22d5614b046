"""The hospital's own monthly figures."""

from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.clinical import schemas
from blood.clinical import service as clinical
from blood.clinical.views import LABELS, bp
from blood.stock import service as stock
from blood.web import load_form


@bp.get("/figures")
@login_required
def figures():
    actor, session = require_actor(), db.session()
    given = {"month": request.args["month"]} if request.args.get("month") else {}
    data, errors = load_form(schemas.MonthQuery(), given)
    month = None
    if data and data.get("month"):
        year, number = data["month"].split("-")
        month = date(int(year), int(number), 1)
    found = clinical.monthly_figures(session=session, actor=actor, month=month)
    return (
        render_template(
            "clinical/figures.html",
            figures=found,
            errors=errors,
            discard_reasons=stock.DISCARD_REASONS,
            can_record=clinical.may_record(actor),
            profile=clinical.profile_of(session),
            **LABELS,
        ),
        422 if errors else 200,
    )
