"""The recall pages (routes on ``blood.analytics.views.bp``): the organisation's lapsed donors
who may give again, filtered, with masked phone numbers; the projected shortages to start a
campaign from; the audited look-up of one phone number; the contact log form. Views parse,
call one service function and render."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.analytics.schemas import ContactIn, LapsedQueryIn, RevealIn
from blood.analytics.service import campaigns, recruitment
from blood.analytics.views import bp
from blood.analytics.views.campaigns import campaign_page
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.web import load_form, submit

NAV_ITEMS.append(NavItem("analytics.recall", _l("Recall donors"), visible=recruitment.may_recall))


def _page(errors: dict | None = None, revealed: dict | None = None):
    args = {k: v for k, v in request.args.items() if v}
    query, query_errors = load_form(LapsedQueryIn(), args)
    actor = require_actor()
    rows = recruitment.lapsed_donors(
        session=db.session(),
        actor=actor,
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
            shortages=campaigns.shortages(session=db.session(), actor=actor),
            revealed=revealed or {},
        ),
        422 if (query_errors or errors) else 200,
    )


@bp.get("/recall")
@login_required
def recall():
    return _page()


def _back(campaign_id: int | None):
    if campaign_id:
        return redirect(url_for("analytics.campaign", campaign_id=campaign_id))
    return redirect(url_for("analytics.recall", **request.args))


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
        campaign_id = request.form.get("campaign_id", type=int)
        return campaign_page(campaign_id, result.errors) if campaign_id else _page(result.errors)
    flash(
        _(
            "Contact logged: the donor leaves the list for %(n)d days.",
            n=recruitment.RECENTLY_CONTACTED_DAYS,
        ),
        "success",
    )
    return _back(result.value.campaign_id)


@bp.post("/recall/<int:donor_id>/phone")
@login_required
def reveal_phone(donor_id: int):
    """One audited look at one donor's phone number, shown in its row of the list."""
    actor = require_actor()
    result = submit(
        RevealIn(),
        lambda data: recruitment.reveal_phone(
            session=db.session(), actor=actor, donor_id=donor_id, **data
        ),
    )
    campaign_id = request.form.get("campaign_id", type=int)
    revealed = {donor_id: result.value or _("no phone number on record")} if result.ok else {}
    if campaign_id:
        return campaign_page(campaign_id, result.errors, revealed)
    return _page(result.errors, revealed)
