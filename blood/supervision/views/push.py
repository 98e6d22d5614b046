"""An authority's pushes, for its administrator: the push targets (list, add, edit — the
secret is never shown again —, deactivate, a test delivery that shows the answer) and the
outbox (the dead-letter list, one delivery with its last error and DHIS2 conflicts, retry)."""

from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.errors import Conflict
from blood.pagination import PageRequest
from blood.supervision import schemas_push
from blood.supervision.models import DELIVERY_STATES, PUSH_FORMATS, SUMMARY_KINDS
from blood.supervision.service import targets
from blood.supervision.views import bp
from blood.web import confirmation_page, confirmed, load_form, page_labels, submit

FORMAT_WORDS = {
    "native": _l("Signed JSON (native)"),
    "dhis2": _l("DHIS2 data values"),
    "federation": _l("Upper-level instance (federation)"),
}
KIND_WORDS = {"daily": _l("Daily"), "weekly": _l("Weekly"), "monthly": _l("Monthly")}
STATE_WORDS = {
    "pending": _l("Waiting"),
    "in_flight": _l("Being sent"),
    "delivered": _l("Delivered"),
    "dead": _l("Failed (dead letter)"),
}
page_labels(
    bp.name,
    {
        "name": _l("Name"),
        "url": _l("Address (URL)"),
        "format": _l("Format"),
        "summary_kinds": _l("Summaries"),
        "secret": _l("Secret or password"),
        "username": _l("Sender name or DHIS2 user"),
        "mapping": _l("DHIS2 mapping (JSON)"),
    },
)


def _words() -> dict:
    return {
        "format_words": FORMAT_WORDS,
        "kind_words": KIND_WORDS,
        "state_words": STATE_WORDS,
        "formats": PUSH_FORMATS,
        "kinds": SUMMARY_KINDS,
    }


def _posted() -> dict:
    data = request.form.to_dict()
    data.pop("summary_kinds", None)
    kinds = request.form.getlist("summary_kinds")
    if kinds:
        data["summary_kinds"] = kinds
    return data


def _input(data: dict) -> targets.TargetInput:
    return targets.TargetInput(
        name=data["name"],
        url=data["url"],
        format=data["format"],
        summary_kinds=tuple(data["summary_kinds"]),
        secret=data.get("secret"),
        username=data.get("username"),
        mapping=data.get("mapping") or {},
    )


@bp.get("/push-targets")
@login_required
def push_targets():
    found = targets.list_targets(session=db.session(), actor=require_actor())
    return render_template("supervision/push_targets.html", found=found, **_words())


def _target_form(target=None, errors=None, form=None, status=200):
    if form is None:
        form = {}
        if target is not None:
            form = {
                "name": target.name,
                "url": target.url,
                "format": target.format,
                "username": target.username or "",
                "mapping": json.dumps(target.mapping, ensure_ascii=False, indent=2)
                if target.mapping
                else "",
            }
    kinds = (
        request.form.getlist("summary_kinds")
        if request.method == "POST"
        else (target.summary_kinds if target else ["daily"])
    )
    return (
        render_template(
            "supervision/push_target_form.html",
            target=target,
            errors=errors or {},
            form=form,
            chosen_kinds=kinds,
            **_words(),
        ),
        status,
    )


@bp.get("/push-targets/new")
@login_required
def new_push_target():
    targets.managed_authority(db.session(), require_actor())  # 403 before the form
    return _target_form()


@bp.post("/push-targets")
@login_required
def create_push_target():
    actor, session = require_actor(), db.session()
    result = submit(
        schemas_push.PushTargetIn(),
        lambda data: targets.create_target(session=session, actor=actor, data=_input(data)),
        data=_posted(),
    )
    if not result.ok:
        form = {k: v for k, v in request.form.items() if k != "secret"}
        return _target_form(None, result.errors, form, result.status)
    flash(_("Push target saved. Its secret will not be shown again."), "success")
    return redirect(url_for("supervision.push_targets"), 303)


@bp.get("/push-targets/<int:target_id>")
@login_required
def push_target(target_id: int):
    target = targets.get_target(session=db.session(), actor=require_actor(), target_id=target_id)
    return _target_form(target)


@bp.post("/push-targets/<int:target_id>")
@login_required
def update_push_target(target_id: int):
    actor, session = require_actor(), db.session()
    result = submit(
        schemas_push.PushTargetIn(),
        lambda data: targets.update_target(
            session=session, actor=actor, target_id=target_id, data=_input(data)
        ),
        data=_posted(),
    )
    if not result.ok:
        target = targets.get_target(session=session, actor=actor, target_id=target_id)
        form = {k: v for k, v in request.form.items() if k != "secret"}
        return _target_form(target, result.errors, form, result.status)
    flash(_("Push target saved."), "success")
    return redirect(url_for("supervision.push_targets"), 303)


@bp.post("/push-targets/<int:target_id>/deactivate")
@login_required
def deactivate_push_target(target_id: int):
    actor, session = require_actor(), db.session()
    if not confirmed():
        target = targets.get_target(session=session, actor=actor, target_id=target_id)
        return confirmation_page(
            title=_("Stop pushing to %(name)s?", name=target.name),
            message=_(
                "No new summaries go to this target, and those waiting are not sent while it "
                "is inactive."
            ),
            items=[target.url],
            cancel_url=url_for("supervision.push_targets"),
            button=_("Deactivate"),
        )
    result = submit(
        None,
        lambda _data: targets.deactivate_target(session=session, actor=actor, target_id=target_id),
        refusals=(Conflict,),
    )
    if result.ok:
        flash(_("Push target deactivated."), "success")
    else:
        for messages in result.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("supervision.push_targets"), 303)


@bp.post("/push-targets/<int:target_id>/test")
@login_required
def test_push_target(target_id: int):
    answer = targets.test_delivery(session=db.session(), actor=require_actor(), target_id=target_id)
    return render_template("supervision/push_test.html", answer=answer, **_words())


@bp.get("/deliveries")
@login_required
def deliveries():
    query, errors = load_form(schemas_push.DeliveryQuery(), request.args.to_dict())
    state = (query or {}).get("state", "dead")
    found = targets.list_deliveries(
        session=db.session(),
        actor=require_actor(),
        page=PageRequest.from_args(request.args),
        state=state,
    )
    return (
        render_template(
            "supervision/deliveries.html",
            found=found,
            state=state,
            states=DELIVERY_STATES,
            errors=errors,
            **_words(),
        ),
        422 if errors else 200,
    )


@bp.get("/deliveries/<int:delivery_id>")
@login_required
def delivery(delivery_id: int):
    view = targets.get_delivery(
        session=db.session(), actor=require_actor(), delivery_id=delivery_id
    )
    return render_template("supervision/delivery.html", view=view, **_words())


@bp.post("/deliveries/<int:delivery_id>/retry")
@login_required
def retry_delivery(delivery_id: int):
    actor, session = require_actor(), db.session()
    result = submit(
        None,
        lambda _data: targets.retry_delivery(session=session, actor=actor, delivery_id=delivery_id),
        refusals=(Conflict,),
    )
    if result.ok:
        flash(_("The delivery will be sent again within a minute."), "success")
    else:
        for messages in result.errors.values():
            for message in messages:
                flash(message, "error")
    return redirect(url_for("supervision.delivery", delivery_id=delivery_id), 303)
