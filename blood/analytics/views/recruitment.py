"""The recall page (routes on ``blood.analytics.views.bp``): the organisation's lapsed donors
who may give again, filtered, with masked phone numbers, and the contact log form. Views
parse, call one service function and render."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.analytics.schemas import ContactIn, LapsedQueryIn
from blood.analytics.service import recruitment
from blood.analytics.views import bp
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.web import load_form, submit

NAV_ITEMS.append(NavItem("analytics.recall", _l("Recall donors"), visible=recruitment.may_recall))


def _page(errors: dict | None = None):
    args = {k: v for k, v in request.args.items() if v}
    query, query_errors = load_form(LapsedQueryIn(), args)
    rows = recruitment.lapsed_donors(
        session=db.session(),
        actor=require_actor(),
        filters=recruitment.LapsedFilter(**(query if not query_errors else {})),
    )
    return (
        render_template(
            "analytics/recall.html",
            rows=rows,
            form=args,
            errors={**query_errors, **(errors or {})},
            outcomes=recruitment.OUTCOME_WORDS,
            lapsed_days=recruitment.LAPSED_DAYS,
            recent_days=recruitment.RECENTLY_CONTACTED_DAYS,
        ),
        422 if (query_errors or errors) else 200,
    )


@bp.get("/recall")
@login_required
def recall():
    return _page()


@bp.post("/recall/<int:donor_id>/contact")
@login_required
def record_contact(donor_id: int):
    actor = require_actor()
    result = submit(
        ContactIn(),
        lambda data: recruitment.record_contact(
            session=db.session(), actor=actor, donor_id=donor_id, **data
        ),
    )
    if not result.ok:
        return _page(result.errors)
    flash(
        _(
            "Contact logged: the donor leaves the list for %(n)d days.",
            n=recruitment.RECENTLY_CONTACTED_DAYS,
        ),
        "success",
    )
    return redirect(url_for("analytics.recall", **request.args))
