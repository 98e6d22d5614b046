"""The stock page: levels over the actor's scope, or one organisation in it."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import PageRequest
from blood.stock import service as stock
from blood.stock.views import bp


@bp.get("/")
@login_required
def levels():
    overview = stock.stock_overview(
        session=db.session(),
        actor=require_actor(),
        organisation_code=request.args.get("org") or None,
        page=PageRequest.from_args(request.args),
    )
    return render_template(
        "stock/levels.html",
        rows=overview.levels,
        expiring=overview.expiring,
        focus=overview.focus,
        holders=overview.holders,
        window=overview.window_days,
    )
