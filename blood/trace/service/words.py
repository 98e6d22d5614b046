"""How a trace words things: its events, plasma states and donation kinds, and people (a donor
only masked: the name's first character, the masked resident ID, never in clear)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from blood.donors.models import Donor
from blood.plasma.models import UnitState as PlasmaState

EVENT_WORDS = {
    "collected": _l("Collected at %(organisation)s"),
    "tested": _l("Tested at %(organisation)s: %(results)s"),
    "release": _l("Released from quarantine at %(organisation)s"),
    "reserve": _l("Reserved at %(organisation)s"),
    "unreserve": _l("Reservation cancelled at %(organisation)s"),
    "issue": _l("Issued by %(organisation)s to %(counterpart)s"),
    "receive": _l("Received at %(organisation)s"),
    "hold": _l("Put on hold at %(organisation)s (temperature excursion)"),
    "transfuse": _l("Transfused at %(organisation)s"),
    "return": _l("Returned by %(organisation)s to %(counterpart)s"),
    "restock": _l("Restocked at %(organisation)s"),
    "discard": _l("Discarded at %(organisation)s"),
    "expire": _l("Expired at %(organisation)s"),
    "block": _l("Blocked by a look-back at %(organisation)s"),
    "shipped": _l("Shipped by %(organisation)s to %(counterpart)s (shipment %(number)s)"),
    "manufacturer_received": _l("Received by %(counterpart)s (shipment %(number)s)"),
    "destroyed": _l("Marked for destruction at %(organisation)s"),
}
PLASMA_STATE_WORDS = {
    PlasmaState.QUARANTINE: _l("in quarantine"),
    PlasmaState.RELEASED: _l("released"),
    PlasmaState.SHIPPED: _l("shipped to a manufacturer"),
    PlasmaState.DESTROYED: _l("destroyed"),
    PlasmaState.BLOCKED: _l("blocked by a look-back"),
}
DONATION_KIND_WORDS = {
    "plasma": _l("Source plasma (apheresis)"),
    "whole_blood": _l("Whole blood"),
    "platelets": _l("Apheresis platelets"),
}


def donor_mask(donor: Donor | None) -> str:
    if donor is None:
        return ""
    name = donor.name or ""
    masked = name[:1] + "*" * max(len(name) - 1, 1) if name else "*"
    return f"{masked} {donor.resident_id_masked}"
