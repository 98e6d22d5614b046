"""The one state machine of a blood component unit. Pure: no Flask, no database.

pending_tests → available → reserved → issued → received → transfused | returned | discarded
| expired. A look-back blocks a unit wherever it is (blocked): it can then only be discarded
or expire. A unit that arrives at a hospital out of its temperature range is received and put
on hold (on_hold): not usable stock, it can only go back to the blood centre (which restocks
or discards it) or be discarded. Every service transition asks ``next_state`` first and
applies the answer with a conditional update, so an impossible transition is refused with its
reason, never applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UnitState(StrEnum):
    PENDING_TESTS = "pending_tests"
    AVAILABLE = "available"
    RESERVED = "reserved"
    ISSUED = "issued"  # dispatched, in transit to a hospital
    RECEIVED = "received"  # in a hospital's stock
    ON_HOLD = "on_hold"  # at a hospital after a temperature excursion: not usable
    TRANSFUSED = "transfused"
    RETURNED = "returned"  # sent back to the blood centre by a hospital
    DISCARDED = "discarded"
    EXPIRED = "expired"
    BLOCKED = "blocked"  # held by a look-back (its donor tested reactive): never used


class Action(StrEnum):
    RELEASE = "release"  # tests done and negative
    RESERVE = "reserve"
    UNRESERVE = "unreserve"
    ISSUE = "issue"  # dispatch to a hospital (also a hospital-to-hospital transfer)
    RECEIVE = "receive"
    HOLD = "hold"  # a temperature excursion found at receipt
    TRANSFUSE = "transfuse"
    RETURN = "return"
    RESTOCK = "restock"  # a returned unit, inspected, back into the centre's stock
    DISCARD = "discard"
    EXPIRE = "expire"
    BLOCK = "block"  # a look-back holds the unit, wherever it is


S = UnitState
LIVE = frozenset(
    {S.PENDING_TESTS, S.AVAILABLE, S.RESERVED, S.RECEIVED, S.ON_HOLD, S.RETURNED, S.BLOCKED}
)
FINAL = frozenset({S.TRANSFUSED, S.DISCARDED, S.EXPIRED})

TRANSITIONS: dict[Action, tuple[frozenset[UnitState], UnitState]] = {
    Action.RELEASE: (frozenset({S.PENDING_TESTS}), S.AVAILABLE),
    Action.RESERVE: (frozenset({S.AVAILABLE}), S.RESERVED),
    Action.UNRESERVE: (frozenset({S.RESERVED}), S.AVAILABLE),
    Action.ISSUE: (frozenset({S.AVAILABLE, S.RESERVED, S.RECEIVED}), S.ISSUED),
    Action.RECEIVE: (frozenset({S.ISSUED}), S.RECEIVED),
    Action.HOLD: (frozenset({S.RECEIVED}), S.ON_HOLD),
    Action.TRANSFUSE: (frozenset({S.RECEIVED}), S.TRANSFUSED),
    Action.RETURN: (frozenset({S.RECEIVED, S.ON_HOLD}), S.RETURNED),
    Action.RESTOCK: (frozenset({S.RETURNED}), S.AVAILABLE),
    Action.DISCARD: (LIVE, S.DISCARDED),
    Action.EXPIRE: (LIVE | {S.ISSUED}, S.EXPIRED),
    # Blocked in stock or in transit; a blocked unit can only be discarded or expire.
    Action.BLOCK: ((LIVE - {S.BLOCKED}) | {S.ISSUED}, S.BLOCKED),
}

# Actions refused once a unit is past its expiry, whatever its state.
NOT_AFTER_EXPIRY = frozenset(
    {Action.RELEASE, Action.RESERVE, Action.ISSUE, Action.TRANSFUSE, Action.RESTOCK}
)


@dataclass(frozen=True)
class Refusal:
    code: str  # "invalid_transition" or "expired"
    state: UnitState
    action: Action


class InvalidTransition(Exception):
    def __init__(self, refusal: Refusal):
        super().__init__(f"{refusal.action} is not possible from {refusal.state}")
        self.refusal = refusal


def next_state(
    current: UnitState | str, action: Action | str, *, expired: bool = False
) -> UnitState:
    """The state after `action`, or InvalidTransition saying why not."""
    current, action = UnitState(current), Action(action)
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise InvalidTransition(Refusal("invalid_transition", current, action))
    if expired and action in NOT_AFTER_EXPIRY:
        raise InvalidTransition(Refusal("expired", current, action))
    return target


def allowed_from(action: Action | str) -> frozenset[UnitState]:
    return TRANSITIONS[Action(action)][0]
