"""The transfusion committee's list: flags waiting for a look, and missing outcomes."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.clinical import service as clinical
from blood.clinical.views import LABELS, bp
from blood.pagination import PageRequest


def _page(name: str) -> PageRequest:
    raw = request.args.get(name, "1")
    return PageRequest(int(raw) if raw.isdigit() and len(raw) < 7 else 1, 25)


@bp.get("/review")
@login_required
def committee():
    actor, session = require_actor(), db.session()
    found = clinical.review_list(
        session=session, actor=actor, flagged_page=_page("page"), missing_page=_page("missing")
    )
    return render_template(
        "clinical/review.html",
        review=found,
        missing_page=request.args.get("missing", "1"),
        flagged_page=request.args.get("page", "1"),
        can_record=clinical.may_record(actor),
        **LABELS,
    )
