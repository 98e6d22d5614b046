"""The trace pages: a DIN's (or a donor's) trace for staff and inspectors, look-back cases for
the quality role and authorities (list, open one by hand, one case, its CSV), and the notices
an organisation received (acknowledge). Views parse, call one service function and render."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.accounts.roles import OrgKind
from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.pagination import PageRequest
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.trace import schemas
from blood.trace import service as trace
from blood.web import FIELD_LABELS, confirmation_page, confirmed, load_form, submit

bp = Blueprint("trace", __name__, url_prefix="/trace")

# The menu: trace for everyone (each sees its own links of the chain), cases for whoever may
# read them (the same question the case pages ask), notices for those that receive them.
NAV_ITEMS.extend(
    [
        NavItem("trace.search", _l("Trace")),
        NavItem("trace.cases", _l("Look-back cases"), visible=trace.may_read_cases),
        NavItem(
            "trace.notifications",
            _l("Notifications"),
            kinds=frozenset(
                {
                    OrgKind.HOSPITAL,
                    OrgKind.MANUFACTURER,
                    OrgKind.PLASMA_STATION,
                    OrgKind.BLOOD_CENTRE,
                }
            ),
        ),
    ]
)

FIELD_LABELS.setdefault("din", _l("DIN"))
FIELD_LABELS.setdefault("markers", _l("Markers"))
FIELD_LABELS.setdefault("window_months", _l("Window (months)"))
FIELD_LABELS.setdefault("note", _l("Note"))
FIELD_LABELS.setdefault("comment", _l("Comment"))

WORDS = {
    "origins": trace.ORIGIN_WORDS,
    "outcomes": trace.OUTCOME_WORDS,
    "statuses": trace.STATUS_WORDS,
    "notice_kinds": trace.NOTICE_KIND_WORDS,
    "notice_asks": trace.NOTICE_KIND_ASKS,
    "notice_states": trace.NOTICE_STATE_WORDS,
}


@bp.get("/")
@login_required
def search():
    din = request.args.get("din", "").strip()
    found, errors, status = None, {}, 200
    if din:
        try:
            found = trace.trace_din(session=db.session(), actor=require_actor(), din=din)
        except ValidationFailed as error:
            errors, status = dict(error.fields), 422
    return render_template("trace/trace.html", din=din, found=found, errors=errors), status


@bp.get("/donors/<int:donor_id>")
@login_required
def donor(donor_id: int):
    found = trace.trace_donor(session=db.session(), actor=require_actor(), donor_id=donor_id)
    return render_template("trace/donor.html", found=found)


@bp.get("/lookback")
@login_required
def cases():
    actor = require_actor()
    found = trace.list_cases(
        session=db.session(), actor=actor, page=PageRequest.from_args(request.args)
    )
    return render_template(
        "trace/cases.html", found=found, may_open=trace.may_open_case(actor), **WORDS
    )


@bp.route("/lookback/new", methods=["GET", "POST"])
@login_required
def new_case():
    actor, session = require_actor(), db.session()
    if not trace.may_open_case(actor):
        return render_template("error.html", code=404), 404
    errors: dict = {}
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        form.pop("markers", None)
        markers = request.form.getlist("markers")
        result = submit(
            schemas.ManualCaseIn(),
            lambda data: trace.open_manual_case(
                session=session, actor=actor, data=trace.ManualCaseInput(**data)
            ),
            data={**form, "markers": markers},
        )
        if result.ok:
            flash(_("Look-back case %(number)s opened.", number=result.value.number), "success")
            return redirect(url_for("trace.case", case_id=result.value.id), 303)
        errors = result.errors
    return (
        render_template(
            "trace/new_case.html", errors=errors, form=request.form, markers=schemas.MARKERS
        ),
        422 if errors else 200,
    )


@bp.get("/lookback/<int:case_id>")
@login_required
def case(case_id: int):
    return _case_page(case_id)


def _case_page(case_id: int, errors: dict | None = None, form=None, status: int = 200):
    actor = require_actor()
    view = trace.get_case(session=db.session(), actor=actor, case_id=case_id)
    return (
        render_template(
            "trace/case.html",
            view=view,
            locale=str(get_locale()),
            may_close=trace.may_close_case(actor, view.case, view.opener),
            errors=errors or {},
            form=form or {},
            **WORDS,
        ),
        status,
    )


@bp.post("/lookback/<int:case_id>/close")
@login_required
def close_case(case_id: int):
    actor, session = require_actor(), db.session()
    data, errors = load_form(schemas.CaseCloseIn())
    if errors:
        return _case_page(case_id, errors, request.form, 422)
    if not confirmed():
        view = trace.get_case(session=session, actor=actor, case_id=case_id)
        return confirmation_page(
            title=_("Close look-back case %(number)s?", number=view.case.number),
            message=_(
                "A closed case cannot be reopened: a new finding opens a new case. Its units "
                "stay blocked until each is dealt with in stock."
            ),
            items=[_("Comment: %(comment)s", comment=data["comment"])],
            cancel_url=url_for("trace.case", case_id=case_id),
            button=_("Close the case"),
        )
    result = submit(
        schemas.CaseCloseIn(),
        lambda data: trace.close_case(
            session=session, actor=actor, case_id=case_id, comment=data["comment"]
        ),
        refusals=(Conflict, Forbidden),
    )
    if not result.ok:
        return _case_page(case_id, result.errors, request.form, result.status)
    flash(_("Look-back case closed."), "success")
    return redirect(url_for("trace.case", case_id=case_id), 303)


@bp.get("/lookback/<int:case_id>/export.csv")
@login_required
def case_export(case_id: int):
    text = trace.case_csv(session=db.session(), actor=require_actor(), case_id=case_id)
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=lookback-{case_id}.csv"},
    )


@bp.get("/notifications")
@login_required
def notifications():
    actor = require_actor()
    found = trace.list_notices(
        session=db.session(), actor=actor, page=PageRequest.from_args(request.args)
    )
    return render_template(
        "trace/notifications.html",
        found=found,
        may_acknowledge=lambda n: trace.may_acknowledge(actor, n),
        **WORDS,
    )


@bp.post("/notifications/<int:notice_id>/acknowledge")
@login_required
def acknowledge(notice_id: int):
    actor, session = require_actor(), db.session()
    result = submit(
        schemas.AcknowledgeIn(),
        lambda data: trace.acknowledge_notice(
            session=session, actor=actor, notice_id=notice_id, note=data.get("note")
        ),
    )
    if result.ok:
        flash(_("Notice acknowledged."), "success")
    return redirect(url_for("trace.notifications"), 303)
