"""The station's inventory: its units by state, with the totals per state."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.plasma import service as plasma
from blood.plasma.views import bp


@bp.get("/inventory")
@login_required
def inventory():
    overview = plasma.inventory_overview(session=db.session(), actor=require_actor())
    return render_template("plasma/inventory.html", rows=overview.rows, totals=overview.totals)
