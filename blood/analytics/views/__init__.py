"""The analytics pages: one Blueprint; its modules add routes to it (forecast, recruitment,
retention)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

from blood.analytics.views import campaigns, forecast, recruitment, retention  # noqa: E402, F401
