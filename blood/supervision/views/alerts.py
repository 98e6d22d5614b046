"""The alerts of the inspector's jurisdiction: the list (and its CSV), one alert with its
history, acknowledging it and closing it with a comment (asked to confirm first)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import PageRequest
from blood.supervision import schemas
from blood.supervision import service as supervision
from blood.supervision.alert_rules import SEVERITIES
from blood.supervision.models import ACKNOWLEDGED, CLOSED, OPEN
from blood.supervision.service import exports
from blood.supervision.service.messages import (
    EVENT_WORDS,
    RULE_NAMES,
    SEVERITY_WORDS,
    STATUS_WORDS,
)
from blood.supervision.views import bp
from blood.supervision.views import tables as T
from blood.web import confirmation_page, confirmed, load_form, submit

FILTERS = ("organisation", "status", "severity")
REFUSALS = (supervision.AlertClosed, supervision.AlreadyAcknowledged)


def _filters() -> tuple[dict, dict]:
    given = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    data, errors = load_form(schemas.AlertQuery(), given)
    return (data or {"status": "active"}), errors


def _query(data: dict) -> dict:
    return {
        "status": data.get("status", "active"),
        "severity": data.get("severity"),
        "organisation_code": data.get("organisation"),
    }


@bp.get("/alerts")
@login_required
def alerts():
    data, errors = _filters()
    found = supervision.list_alerts(
        session=db.session(),
        actor=require_actor(),
        page=PageRequest.from_args(request.args),
        **_query(data),
    )
    args = {k: v for k, v in data.items() if v}
    return (
        render_template(
            "supervision/alerts.html",
            found=found,
            listing=T.alerts_table(found.items),
            filters=args,
            errors=errors,
            statuses=[
                ("active", _("Active (open or acknowledged)")),
                *((s, STATUS_WORDS[s]) for s in (OPEN, ACKNOWLEDGED, CLOSED)),
                ("all", _("All")),
            ],
            severities=[(s, SEVERITY_WORDS[s]) for s in SEVERITIES],
        ),
        422 if errors else 200,
    )


@bp.get("/alerts/export.csv")
@login_required
def alerts_export():
    data, _errors = _filters()
    found = exports.alerts_for_export(session=db.session(), actor=require_actor(), **_query(data))
    return T.csv_response(T.alerts_table(found), f"alerts-{data.get('status', 'active')}.csv")


def _alert_page(alert_id: int, errors: dict | None = None, form=None, status: int = 200):
    detail = supervision.get_alert(session=db.session(), actor=require_actor(), alert_id=alert_id)
    return (
        render_template(
            "supervision/alert.html",
            detail=detail,
            errors=errors or {},
            form=form or {},
            severity_words=SEVERITY_WORDS,
            status_words=STATUS_WORDS,
            rule_names=RULE_NAMES,
            event_words=EVENT_WORDS,
            org_name=T.org_name,
        ),
        status,
    )


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert(alert_id: int):
    return _alert_page(alert_id)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def acknowledge(alert_id: int):
    actor, session = require_actor(), db.session()
    result = submit(
        schemas.AlertCommentIn(),
        lambda data: supervision.acknowledge_alert(
            session=session, actor=actor, alert_id=alert_id, comment=data.get("comment")
        ),
        refusals=REFUSALS,
    )
    if not result.ok:
        return _alert_page(alert_id, result.errors, request.form, result.status)
    flash(_("Alert acknowledged."), "success")
    return redirect(url_for("supervision.alert", alert_id=alert_id), 303)


@bp.post("/alerts/<int:alert_id>/close")
@login_required
def close(alert_id: int):
    actor, session = require_actor(), db.session()
    data, errors = load_form(schemas.AlertCloseIn())
    if errors:
        return _alert_page(alert_id, errors, request.form, 422)
    if not confirmed():
        detail = supervision.get_alert(session=session, actor=actor, alert_id=alert_id)
        return confirmation_page(
            title=_("Close this alert?"),
            message=_(
                "A closed alert stays closed while its condition lasts; it cannot be reopened. "
                "If the condition clears and arises again, a new alert opens."
            ),
            items=[detail.message, _("Comment: %(comment)s", comment=data["comment"])],
            cancel_url=url_for("supervision.alert", alert_id=alert_id),
            button=_("Close the alert"),
        )
    result = submit(
        schemas.AlertCloseIn(),
        lambda data: supervision.close_alert(
            session=session, actor=actor, alert_id=alert_id, comment=data["comment"]
        ),
        refusals=REFUSALS,
    )
    if not result.ok:
        return _alert_page(alert_id, result.errors, request.form, result.status)
    flash(_("Alert closed."), "success")
    return redirect(url_for("supervision.alert", alert_id=alert_id), 303)
