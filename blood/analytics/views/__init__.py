"""The analytics pages: one Blueprint; its modules add routes to it (forecast, recruitment)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

from blood.analytics.views import forecast, recruitment  # noqa: E402, F401
