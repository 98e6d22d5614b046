"""Units in words: the states and actions as the pages say them, the discard reasons, and the
refusals a transition answers with (``transitions``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from blood.errors import DomainError
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import SERVICE_DISCARD_REASONS

# States in which a unit counts as stock on hand (a held unit does not).
ON_HAND = (UnitState.AVAILABLE, UnitState.RESERVED, UnitState.RECEIVED)
DISCARD_REASONS = {
    "temperature_excursion": _l("Storage temperature out of range"),
    "damaged": _l("Bag damaged or leaking"),
    "reactive_test": _l("Reactive screening test"),
    "clinical_not_used": _l("Issued for a patient, not used"),
    "quality": _l("Quality or visual inspection failure"),
    "other": _l("Other"),
    "test_out_of_range": _l("Laboratory result above its limit (ALT)"),
    "deviation_rejected": _l("Collection deviation rejected by the quality manager"),
}
# The reasons a person chooses; the others are written by the services only.
MANUAL_DISCARD_REASONS = {
    code: text for code, text in DISCARD_REASONS.items() if code not in SERVICE_DISCARD_REASONS
}
ACTION_WORDS = {
    Action.RELEASE: _l("released"),
    Action.RESERVE: _l("reserved"),
    Action.UNRESERVE: _l("unreserved"),
    Action.ISSUE: _l("issued"),
    Action.RECEIVE: _l("received"),
    Action.HOLD: _l("put on hold"),
    Action.TRANSFUSE: _l("transfused"),
    Action.RETURN: _l("returned"),
    Action.RESTOCK: _l("restocked"),
    Action.DISCARD: _l("discarded"),
    Action.EXPIRE: _l("expired"),
    Action.BLOCK: _l("blocked by a look-back"),
}
STATE_WORDS = {
    UnitState.PENDING_TESTS: _l("waiting for test results"),
    UnitState.AVAILABLE: _l("available"),
    UnitState.RESERVED: _l("reserved"),
    UnitState.ISSUED: _l("in transit"),
    UnitState.RECEIVED: _l("in hospital stock"),
    UnitState.ON_HOLD: _l("on hold after a temperature excursion"),
    UnitState.TRANSFUSED: _l("transfused"),
    UnitState.RETURNED: _l("returned"),
    UnitState.DISCARDED: _l("discarded"),
    UnitState.EXPIRED: _l("expired"),
    UnitState.BLOCKED: _l("blocked by a look-back"),
}


class TransitionRefused(DomainError):
    status = 409
    code = "invalid_transition"
    template = _l("Unit %(unit)s cannot be %(action)s: it is %(state)s.")


class UnitBlocked(TransitionRefused):
    """A look-back holds the unit: its donor has since tested reactive."""

    code = "unit_blocked"
    template = _l(
        "Unit %(unit)s cannot be %(action)s: it is blocked by a look-back (its donor has "
        "since tested reactive); it may only be discarded."
    )


class GroupUnknown(DomainError):
    status = 409
    code = "group_unknown"
    template = _l("Unit %(unit)s has no confirmed ABO/RhD group: it cannot be %(action)s.")


class UnitExpired(DomainError):
    status = 409
    code = "unit_expired"
    template = _l("Unit %(unit)s expired on %(expired)s: it cannot be %(action)s.")
