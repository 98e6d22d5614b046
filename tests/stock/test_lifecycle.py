"""The unit state machine, on its own: every transition, every refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blood.stock.lifecycle import (
    FINAL,
    TRANSITIONS,
    Action,
    InvalidTransition,
    UnitState,
    next_state,
)

S, A = UnitState, Action


@pytest.mark.parametrize(
    "state, action, target",
    [
        (S.PENDING_TESTS, A.RELEASE, S.AVAILABLE),
        (S.AVAILABLE, A.RESERVE, S.RESERVED),
        (S.RESERVED, A.UNRESERVE, S.AVAILABLE),
        (S.AVAILABLE, A.ISSUE, S.ISSUED),
        (S.RESERVED, A.ISSUE, S.ISSUED),
        (S.RECEIVED, A.ISSUE, S.ISSUED),  # a hospital-to-hospital transfer
        (S.ISSUED, A.RECEIVE, S.RECEIVED),
        (S.RECEIVED, A.HOLD, S.ON_HOLD),  # a temperature excursion found at receipt
        (S.ON_HOLD, A.RETURN, S.RETURNED),  # back to the centre, which decides
        (S.ON_HOLD, A.DISCARD, S.DISCARDED),
        (S.ON_HOLD, A.EXPIRE, S.EXPIRED),
        (S.RECEIVED, A.TRANSFUSE, S.TRANSFUSED),
        (S.RECEIVED, A.RETURN, S.RETURNED),
        (S.RETURNED, A.RESTOCK, S.AVAILABLE),
        (S.AVAILABLE, A.DISCARD, S.DISCARDED),
        (S.RECEIVED, A.DISCARD, S.DISCARDED),
        (S.ISSUED, A.EXPIRE, S.EXPIRED),
        (S.RECEIVED, A.EXPIRE, S.EXPIRED),
    ],
)
def test_allowed_transitions(state, action, target):
    assert next_state(state, action) is target


@pytest.mark.parametrize(
    "state, action",
    [
        (S.PENDING_TESTS, A.ISSUE),
        (S.AVAILABLE, A.TRANSFUSE),
        (S.ISSUED, A.TRANSFUSE),  # must be received first
        (S.TRANSFUSED, A.TRANSFUSE),
        (S.TRANSFUSED, A.DISCARD),
        (S.DISCARDED, A.DISCARD),
        (S.EXPIRED, A.ISSUE),
        (S.ISSUED, A.DISCARD),  # in transit: the receiver discards after receipt
        # A held unit is not usable stock: it cannot be transfused, transferred, reserved,
        # released, put back into stock at the hospital or held twice.
        (S.ON_HOLD, A.TRANSFUSE),
        (S.ON_HOLD, A.ISSUE),
        (S.ON_HOLD, A.RESERVE),
        (S.ON_HOLD, A.RELEASE),
        (S.ON_HOLD, A.RESTOCK),
        (S.ON_HOLD, A.RECEIVE),
        (S.ON_HOLD, A.HOLD),
        # Only a unit just received is put on hold.
        (S.ISSUED, A.HOLD),
        (S.AVAILABLE, A.HOLD),
        (S.PENDING_TESTS, A.HOLD),
        (S.RETURNED, A.HOLD),
    ],
)
def test_impossible_transitions_are_refused_with_the_state(state, action):
    with pytest.raises(InvalidTransition) as refused:
        next_state(state, action)
    assert refused.value.refusal.code == "invalid_transition"
    assert refused.value.refusal.state is state


@pytest.mark.parametrize("action", [A.ISSUE, A.TRANSFUSE, A.RESERVE, A.RELEASE])
def test_expired_units_cannot_be_used(action):
    state = next(s for s in S if s in TRANSITIONS[action][0])
    with pytest.raises(InvalidTransition) as refused:
        next_state(state, action, expired=True)
    assert refused.value.refusal.code == "expired"


def test_an_expired_unit_can_still_be_discarded_or_marked_expired():
    assert next_state(S.AVAILABLE, A.DISCARD, expired=True) is S.DISCARDED
    assert next_state(S.AVAILABLE, A.EXPIRE, expired=True) is S.EXPIRED


@given(st.sampled_from(sorted(FINAL)), st.sampled_from(list(A)))
def test_final_states_are_final(state, action):
    with pytest.raises(InvalidTransition):
        next_state(state, action)


def test_a_held_unit_is_live_but_not_usable():
    from blood.stock.lifecycle import LIVE, allowed_from

    assert S.ON_HOLD in LIVE  # it may still change state (returned, discarded, expired)
    for action in (A.TRANSFUSE, A.ISSUE, A.RESERVE, A.RELEASE, A.RESTOCK):
        assert S.ON_HOLD not in allowed_from(action)


def test_an_expired_held_unit_can_still_be_returned_or_discarded():
    assert next_state(S.ON_HOLD, A.RETURN, expired=True) is S.RETURNED
    assert next_state(S.ON_HOLD, A.DISCARD, expired=True) is S.DISCARDED
