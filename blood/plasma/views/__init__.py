"""The plasma station's web forms. Views parse with the action's schema, call one service
function and render; every rule lives in the services.

One blueprint (``plasma``, under ``/station``), defined here; each module adds the routes of
one part of the station's day: ``visits`` (the front desk, check-in, a visit's screening and
collection), ``labels`` (a unit's label, barcode and scan), ``lab``, ``quarantine``
(release, and the quality manager's deviations), ``inventory`` and ``shipments``.
Endpoints keep the blueprint's name (``plasma.visit``), whichever module holds them.

The donor pages (find, register, the donor's page, deferrals) are the donor registry's
(``blood.donors.views``); the station adds its visits and units to the donor page.
"""

from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from blood import db
from blood.accounts.auth import require_actor
from blood.donors.hooks import DONOR_PAGE_SECTIONS, DonorPageSection
from blood.donors.messages import QUESTION_LABELS
from blood.plasma import service as plasma
from blood.web import FIELD_LABELS

bp = Blueprint("plasma", __name__, url_prefix="/station")

DONOR_PAGE_SECTIONS.append(DonorPageSection("plasma/_donor_record.html", plasma.donor_record))


# The fields of the station's forms, as error summaries name them ("Line 3: DIN").
for _name, _label in {
    "resident_id": _l("Resident ID number"),
    "weight_kg": _l("Body weight (kg)"),
    "systolic": _l("Systolic (mmHg)"),
    "diastolic": _l("Diastolic (mmHg)"),
    "pulse": _l("Pulse (/min)"),
    "temperature_c": _l("Temperature (°C)"),
    "total_protein_g_l": _l("Total protein (g/L)"),
    "alt_u_l": _l("ALT (U/L)"),
    "hb_g_l": _l("Haemoglobin (g/L)"),
    "rapid_tests": _l("Rapid tests: tick the reactive ones"),
    "questionnaire": _l("Health questionnaire"),
    **QUESTION_LABELS,
    "machine": _l("Machine"),
    "kit_lot": _l("Kit lot"),
    "started_at": _l("Start"),
    "ended_at": _l("End"),
    "total_weight_g": _l("Plasma weight incl. anticoagulant (g)"),
    "anticoagulant_ml": _l("Anticoagulant (mL)"),
    "adverse_reaction": _l("Donor adverse reaction"),
    "over_limit_reason": _l("Why the limit was exceeded"),
    "din": _l("DIN"),
    "hbsag": "HBsAg",
    "anti_hcv": "anti-HCV",
    "anti_hiv": "anti-HIV",
    "syphilis": _l("Syphilis"),
    "batch": _l("A batch"),
    "value_count": _l("Number of values"),
    "dins": _l("Units"),
    "manufacturer_code": _l("Manufacturer"),
    "box_size": _l("Units per box"),
    "discrepancies": _l("Discrepancies"),
    "kind": _l("Discrepancy"),
    "received_by": _l("Received by"),
    "note": _l("Note"),
    "decision": _l("Decision"),
}.items():
    FIELD_LABELS.setdefault(_name, _label)


def station_actor():
    """The station's pages are for its own staff: anyone else is refused before any input
    is read."""
    actor = require_actor()
    plasma.require_station(db.session(), actor)
    return actor


# The modules that add the routes (imported last: they use ``bp`` and ``station_actor``).
from blood.plasma.views import (  # noqa: E402
    inventory,
    lab,
    labels,
    lists,
    quarantine,
    shipments,
    visits,
)

__all__ = [
    "bp",
    "inventory",
    "lab",
    "labels",
    "lists",
    "quarantine",
    "shipments",
    "station_actor",
    "visits",
]
