"""Home pages (one per organisation kind), language switch, activity log, health checks."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_timezone
from flask_login import current_user, login_required

from blood import db
from blood.accounts import service as accounts
from blood.accounts.auth import require_actor
from blood.accounts.roles import OrgKind
from blood.core import activity_words, queues, schemas, service
from blood.listing import load_list_query

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    actor = require_actor()
    org = accounts.acting_organisation_of(session=db.session(), actor=actor)
    context: dict = {"org": org, "queues": queues.home_queues(session=db.session(), actor=actor)}
    if org.kind == OrgKind.AUTHORITY:
        summary = accounts.jurisdiction_summary(session=db.session(), actor=actor)
        context.update(counts=summary.counts, children=summary.children)
    if service.may_read_activity(actor):
        context["recent"] = service.recent_activity(session=db.session(), actor=actor)
    return render_template(f"home/{org.kind}.html", **context)


def _activity_query():
    """The activity log's filters from the query string (field errors beside the fields)."""
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.ActivityQueryIn(), args)
    filters = service.ActivityFilters(
        person=params.get("q"),
        action=params.get("action"),
        record_type=params.get("record"),
        record_id=params.get("record_id"),
        date_from=params.get("date_from"),
        date_to=params.get("date_to"),
        tz=get_timezone(),
    )
    return args, params, errors, filters


@bp.get("/activity")
@login_required
def activity():
    args, params, errors, filters = _activity_query()
    page = service.activity_page(
        session=db.session(), actor=require_actor(), page=params.get("page", 1), filters=filters
    )
    body = render_template(
        "core/activity.html",
        events=page.rows,
        page=page.page,
        has_next=page.has_next,
        args=args,
        errors=errors,
        action_options=activity_words.actions(),
        record_options=activity_words.record_types(),
    )
    return body, 422 if errors else 200


@bp.get("/activity.csv")
@login_required
def activity_csv():
    _args, _params, errors, filters = _activity_query()
    if errors:
        abort(422)
    text = service.activity_csv(session=db.session(), actor=require_actor(), filters=filters)
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=activity.csv"},
    )


@bp.get("/lang/<code>")
def switch_language(code: str):
    """Language links in every page; a logged-in user's choice is remembered on the account."""
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
    return db.readiness()
