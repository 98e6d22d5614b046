"""The regulator's pages: the dashboard of a jurisdiction for a period (with drill-down to
one organisation and back up), the alerts, and a CSV of every table. Views parse, call one
service function and render; every rule and every query lives in ``supervision.service``.

One blueprint (``supervision``, under ``/supervision``), defined here; ``dashboard`` adds
the dashboard and its exports, ``alerts`` the alert list, an alert's page and its forms.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from blood.web import FIELD_LABELS

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

FIELD_LABELS.setdefault("comment", _l("Comment"))
FIELD_LABELS.setdefault("period", _l("Period"))

from blood.supervision.views import alerts, dashboard, jobs, push  # noqa: E402,F401
