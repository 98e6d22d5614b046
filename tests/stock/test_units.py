"""What becomes of a unit at the hospital: transfused, returned and restocked, discarded; once,
by its holder, and never after its expiry."""

from __future__ import annotations

import pytest

from blood.errors import Forbidden, NotFound, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from tests.helpers import as_user
from tests.stock.helpers import act, age, fulfil, order, received, units_in_stock


def test_a_unit_is_transfused_once(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        act(session, world, unit, Action.TRANSFUSE)
        with pytest.raises(stock.TransitionRefused) as refused:
            act(session, world, unit, Action.TRANSFUSE)
        with pytest.raises(stock.TransitionRefused):
            act(session, world, unit, Action.DISCARD, reason="damaged")
    assert refused.value.status == 409 and "transfused" in refused.value.message


def test_expired_units_cannot_be_issued_or_transfused(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        age(session, unit, hours=36 * 24)
        with pytest.raises(stock.UnitExpired):
            act(session, world, unit, Action.TRANSFUSE)
        [centre_unit] = units_in_stock(session, world, 1, first_serial=321)
        age(session, centre_unit, hours=36 * 24)
        placed = order(session, world, quantity=1)
        with pytest.raises(stock.UnitExpired):
            fulfil(session, world, placed, [centre_unit])


def test_another_hospital_cannot_touch_the_unit(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        with pytest.raises(NotFound):
            stock.find_unit(
                session=session,
                actor=as_user(session, world, "hwz.officer"),
                din=unit.din,
                product_code=unit.product_code,
            )
        with pytest.raises(Forbidden):
            act(session, world, unit, Action.TRANSFUSE, by="hwz.officer")


def test_discard_needs_a_listed_reason(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        with pytest.raises(ValidationFailed):
            act(session, world, unit, Action.DISCARD, reason="bored")


def test_return_and_restock(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        act(session, world, unit, Action.RETURN)
        assert unit.state == UnitState.RETURNED and unit.owner_id == world.org("BC").id
        act(session, world, unit, Action.RESTOCK, by="bc.clerk")
    assert unit.state == UnitState.AVAILABLE
