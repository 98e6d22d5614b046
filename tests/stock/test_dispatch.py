"""Dispatches and their receipt: temperature excursions put units on hold, hospital-to-hospital
transfers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.errors import Forbidden, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import TemperatureExcursion
from tests.helpers import as_user
from tests.stock.helpers import act, fulfil, level, order, quality, received, units_in_stock


def excursion_at_receipt(session, world, n=1):
    """n units sent by BC to H-HZ, the first received out of its temperature range."""
    units = units_in_stock(session, world, n)
    dispatch = fulfil(session, world, order(session, world, quantity=n), units)
    stock.confirm_receipt(
        session=session,
        actor=as_user(session, world, "hhz.officer"),
        dispatch_id=dispatch.id,
        lines=[stock.ReceiptLine(u.din, u.product_code, i > 0) for i, u in enumerate(units)],
    )
    return units, dispatch


def test_a_temperature_excursion_at_receipt_puts_the_unit_on_hold(app, session, world):
    with app.app_context():
        [held, fine], dispatch = excursion_at_receipt(session, world, 2)
        levels = stock.stock_levels(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            organisation_ids=[world.org("H-HZ").id],
        )
    assert held.state == UnitState.ON_HOLD and held.owner_id == world.org("H-HZ").id
    assert held.discard_reason is None  # not silently discarded
    assert fine.state == UnitState.RECEIVED
    excursion = session.exec(select(TemperatureExcursion)).one()
    assert excursion.unit_id == held.id and excursion.dispatch_id == dispatch.id
    assert excursion.organisation_id == world.org("H-HZ").id
    assert excursion.recorded_by == "hhz.officer"
    assert excursion.recorded_by_id == world.users["hhz.officer"].id
    assert excursion.recorded_at is not None and excursion.outcome is None
    assert level(levels).on_hand == 1  # the held unit is not stock


def test_a_held_unit_cannot_be_transfused_or_transferred(app, session, world):
    with app.app_context():
        [held], _ = excursion_at_receipt(session, world)
        with pytest.raises(stock.TransitionRefused) as refused:
            act(session, world, held, Action.TRANSFUSE)
        assert "on hold after a temperature excursion" in refused.value.message
        with pytest.raises(stock.TransitionRefused):
            stock.transfer_units(
                session=session,
                actor=as_user(session, world, "hhz.officer"),
                to_code="H-WZ",
                units=[held],
            )
    assert held.state == UnitState.ON_HOLD


def test_a_held_unit_is_returned_and_only_the_quality_manager_restocks_it(app, session, world):
    with app.app_context():
        [held], _ = excursion_at_receipt(session, world)
        act(session, world, held, Action.RETURN)
        assert held.state == UnitState.RETURNED and held.owner_id == world.org("BC").id
        clerk = as_user(session, world, "bc.clerk")
        assert not stock.may_restock(session=session, actor=clerk, unit=held)
        with pytest.raises(Forbidden):
            act(session, world, held, Action.RESTOCK, by="bc.clerk")
        assert stock.may_restock(session=session, actor=quality(session, world), unit=held)
        stock.hospital_action(
            session=session, actor=quality(session, world), unit=held, action=Action.RESTOCK
        )
    assert held.state == UnitState.AVAILABLE
    excursion = session.exec(select(TemperatureExcursion)).one()
    assert excursion.outcome == "restocked" and excursion.closed_at is not None


def test_the_centre_may_discard_a_returned_held_unit(app, session, world):
    with app.app_context():
        [held], _ = excursion_at_receipt(session, world)
        act(session, world, held, Action.RETURN)
        act(session, world, held, Action.DISCARD, by="bc.clerk", reason="temperature_excursion")
    assert held.state == UnitState.DISCARDED
    assert session.exec(select(TemperatureExcursion)).one().outcome == "discarded"


def test_the_hospital_may_discard_a_held_unit_for_the_excursion(app, session, world):
    with app.app_context():
        [held], _ = excursion_at_receipt(session, world)
        act(session, world, held, Action.DISCARD, reason="temperature_excursion")
    assert (held.state, held.discard_reason) == (UnitState.DISCARDED, "temperature_excursion")


def test_reasons_only_services_write_cannot_be_chosen(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        with pytest.raises(ValidationFailed):
            act(session, world, unit, Action.DISCARD, reason="deviation_rejected")


def test_hospital_to_hospital_transfer(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        dispatch = stock.transfer_units(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            to_code="H-WZ",
            units=[unit],
        )
        stock.confirm_receipt(
            session=session,
            actor=as_user(session, world, "hwz.officer"),
            number=dispatch.number,
            lines=[stock.ReceiptLine(unit.din, unit.product_code, True)],
        )
    assert unit.owner_id == world.org("H-WZ").id and unit.state == UnitState.RECEIVED
