"""Home pages (one per organisation kind), language switch, activity log, health checks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlmodel import func, select

from blood import db
from blood.accounts import service as accounts
from blood.accounts.auth import current_organisation, require_actor
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind, Role
from blood.accounts.scoping import require_role, visible_org_ids
from blood.audit import AuditEvent

bp = Blueprint("core", __name__)

ACTIVITY_PAGE_SIZE = 50


@bp.get("/")
@login_required
def home():
    actor = require_actor()
    org = current_organisation()
    context: dict = {"org": org}
    if org.kind == OrgKind.AUTHORITY:
        rows = (
            db.session()
            .exec(
                select(Organisation.kind, func.count())
                .where(Organisation.id.in_(visible_org_ids(actor)), Organisation.id != org.id)
                .group_by(Organisation.kind)
            )
            .all()
        )
        context["counts"] = {kind: count for kind, count in rows}
        context["children"] = (
            db.session()
            .exec(
                select(Organisation)
                .where(Organisation.parent_id == org.id)
                .order_by(Organisation.code)
            )
            .all()
        )
    if actor.has_role(Role.ORG_ADMIN, Role.INSPECTOR):
        context["recent"] = db.session().exec(_activity_query(actor).limit(10)).all()
    return render_template(f"home/{org.kind}.html", **context)


def _activity_query(actor):
    return (
        select(AuditEvent)
        .where(AuditEvent.organisation_id.in_(visible_org_ids(actor)))
        .order_by(AuditEvent.seq.desc())
    )


@bp.get("/activity")
@login_required
def activity():
    actor = require_actor()
    require_role(actor, Role.ORG_ADMIN, Role.INSPECTOR)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = (
        db.session()
        .exec(
            _activity_query(actor)
            .offset((page - 1) * ACTIVITY_PAGE_SIZE)
            .limit(ACTIVITY_PAGE_SIZE + 1)
        )
        .all()
    )
    return render_template(
        "core/activity.html",
        events=events[:ACTIVITY_PAGE_SIZE],
        page=page,
        has_next=len(events) > ACTIVITY_PAGE_SIZE,
    )


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Language links in every page; a logged-in user's choice is remembered on the account."""
    from flask import current_app

    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    if current_user.is_authenticated:
        accounts.set_locale(
            session=db.session(), user=current_user._get_current_object(), locale=code
        )
    target = request.args.get("next", "")
    # Only same-site paths: never an open redirect.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("core.home")
    return redirect(target)


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    try:
        with db.get_db().engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return {"status": "unavailable", "database": type(exc).__name__}, 503
    return {"status": "ok", "database": "ok"}
