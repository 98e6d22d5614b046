"""Blood-centre and hospital stock pages. Views parse with the action's schema, call one
service function and render.

One blueprint (``stock``, under ``/stock``), defined here; each module adds the routes of one
part of the work: ``levels`` (the stock page), ``collection`` (collect, a donation and its
components), ``lab``, ``deviations``, ``units`` (the units held, actions on them,
transfers) and ``orders`` (orders and dispatches). Endpoints keep the blueprint's name
(``stock.units``), whichever module holds them.

Destructive actions (discard, release all, transfuse, return, restock, a receipt with
temperature exceptions, rejecting a deviation) ask first (``blood.web.confirmation_page``)
and act only on the confirmed form."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l

from blood.stock import service as stock
from blood.web import FIELD_LABELS

bp = Blueprint("stock", __name__, url_prefix="/stock")

# The labels of this package's form fields, for error summaries ("Volume (mL)", not
# "volume_ml"). Generic keys other packages may name too are only set when still free.
FIELD_LABELS.update(
    {
        "volume_ml": _l("Volume (mL)"),
        "deviation_reason": _l("Why the volume is outside 200, 300 or 400 mL"),
        "kind": _l("Kind"),
        "eligibility": _l("Eligibility"),
        "product_code": _l("Product code"),
        "division": _l("Division"),
        "expires_at": _l("Expiry"),
        "components": _l("Components"),
        "units": _l("Units"),
        "decision": _l("Decision"),
        "batch": _l("Batch"),
        "to": _l("Hospital"),
        "values": _l("Values"),
        "action": _l("Action"),
    }
)
for _key, _label in {
    "donor": _l("Resident ID or card number"),
    "din": _l("DIN"),
    "abo": _l("ABO"),
    "rhd": _l("RhD"),
    "note": _l("Note"),
    "reason": _l("Discard reason"),
    "adverse_reaction": _l("Adverse reaction"),
    "weight_kg": _l("Body weight (kg)"),
    "systolic": _l("Systolic (mmHg)"),
    "diastolic": _l("Diastolic (mmHg)"),
    "pulse": _l("Pulse (/min)"),
    "hb_g_l": _l("Haemoglobin (g/L)"),
    "temperature_c": _l("Temperature (°C)"),
    **stock.MARKER_LABELS,
}.items():
    FIELD_LABELS.setdefault(_key, _label)


def chosen_ids(name: str = "unit") -> list[int]:
    """The ticked units of a list form."""
    return [int(i) for i in request.form.getlist(name) if i.isdigit()]


# The modules that add the routes (imported last: they use ``bp`` and ``chosen_ids``).
from blood.stock.views import (  # noqa: E402
    collection,
    deviations,
    lab,
    labels,
    levels,
    orders,
    units,
)

__all__ = [
    "bp",
    "chosen_ids",
    "collection",
    "deviations",
    "lab",
    "labels",
    "levels",
    "orders",
    "units",
]
