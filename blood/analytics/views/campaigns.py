"""The recall campaign pages (routes on ``blood.analytics.views.bp``): start one from a
projected shortage, its list of donors to call, closing it, and the results of every
campaign (an authority's: counts of its tree's organisations). Views parse, call one service
function and render."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.analytics.schemas import CampaignIn
from blood.analytics.service import campaigns, recruitment
from blood.analytics.views import bp
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.web import flash_errors, submit

NAV_ITEMS.append(
    NavItem("analytics.campaigns", _l("Recall campaigns"), visible=campaigns.may_read_results)
)
NEAR_WORDS = {
    3: _l("In the site's area"),
    2: _l("Same city"),
    1: _l("Same province"),
    0: _l("Farther"),
}


def campaign_page(campaign_id: int, errors: dict | None = None, revealed: dict | None = None):
    campaign, rows = campaigns.campaign_donors(
        session=db.session(), actor=require_actor(), campaign_id=campaign_id
    )
    return (
        render_template(
            "analytics/campaign.html",
            campaign=campaign,
            rows=rows,
            errors=errors or {},
            revealed=revealed or {},
            outcomes=recruitment.OUTCOME_WORDS,
            near=NEAR_WORDS,
            recent_days=recruitment.RECENTLY_CONTACTED_DAYS,
        ),
        422 if errors else 200,
    )


@bp.post("/recall/campaigns")
@login_required
def start_campaign():
    actor = require_actor()
    result = submit(
        CampaignIn(),
        lambda data: campaigns.start_campaign(session=db.session(), actor=actor, **data),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(url_for("analytics.recall"))
    return redirect(url_for("analytics.campaign", campaign_id=result.value.id))


@bp.get("/recall/campaigns/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    return campaign_page(campaign_id)


@bp.post("/recall/campaigns/<int:campaign_id>/close")
@login_required
def close_campaign(campaign_id: int):
    campaigns.close_campaign(session=db.session(), actor=require_actor(), campaign_id=campaign_id)
    flash(_("Campaign closed."), "success")
    return redirect(url_for("analytics.campaigns"))


@bp.get("/campaigns", endpoint="campaigns")
@login_required
def campaigns_page():
    results = campaigns.campaign_results(session=db.session(), actor=require_actor())
    return render_template(
        "analytics/campaigns.html", results=results, return_days=campaigns.RETURN_DAYS
    )
