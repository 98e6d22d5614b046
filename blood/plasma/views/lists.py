"""The station's visit and plasma-unit lists: parse the query string, one service call,
render; a bad parameter is answered with the message beside its field (422)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.listing import load_list_query
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.views import bp


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if v != ""}


@bp.get("/visits")
@login_required
def visits():
    actor, args = require_actor(), _args()
    params, errors = load_list_query(schemas.VisitListIn(), args)
    page = plasma.visit_list(
        session=db.session(), actor=actor, query=plasma.StationListQuery(**params)
    )
    body = render_template("plasma/visits.html", page=page, args=args, errors=errors)
    return body, 422 if errors else 200


@bp.get("/units")
@login_required
def units():
    actor, args = require_actor(), _args()
    params, errors = load_list_query(schemas.PlasmaUnitListIn(), args)
    page = plasma.plasma_unit_list(
        session=db.session(), actor=actor, query=plasma.StationListQuery(**params)
    )
    body = render_template(
        "plasma/units.html",
        page=page,
        args=args,
        errors=errors,
        group_options=[(g, g) for g in schemas.GROUP_NAMES],
    )
    return body, 422 if errors else 200
