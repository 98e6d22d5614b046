"""Shipments through the services: released units only, each once, in boxes; the
manufacturer's receipt, once, with its discrepancies."""

from __future__ import annotations

import pytest

from blood.errors import Conflict, Forbidden, ValidationFailed
from blood.plasma import service as plasma
from blood.plasma.models import UnitState
from tests.helpers import as_user, past_collection


def test_shipment_takes_released_units_once_in_boxes(app, session, world, released_units):
    units = released_units(3)
    with app.app_context():
        quality = as_user(session, world, "sca.quality")
        shipment = plasma.build_shipment(
            session=session,
            actor=quality,
            manufacturer_code="MF",
            dins=[u.din for u in units],
            box_size=2,
        )
        items = plasma.shipment_items(session, shipment)
        assert [item.box_label for item, _unit in items] == ["B01", "B01", "B02"]
        assert all(u.state == UnitState.SHIPPED for u in units)
        with pytest.raises(ValidationFailed) as again:
            plasma.build_shipment(
                session=session, actor=quality, manufacturer_code="MF", dins=[units[0].din]
            )
    assert "already shipped" in again.value.fields["dins"][0]


def test_quarantined_units_cannot_ship(app, session, world, donor):
    with app.app_context():
        unit = past_collection(session, donor, world.org("S-CA"), 3)
        with pytest.raises(ValidationFailed):
            plasma.build_shipment(
                session=session,
                actor=as_user(session, world, "sca.quality"),
                manufacturer_code="MF",
                dins=[unit.din],
            )


def test_manufacturer_confirms_receipt_once_with_discrepancies(app, session, world, shipped):
    shipment, units = shipped
    with app.app_context():
        clerk = as_user(session, world, "mf.clerk")
        with pytest.raises(ValidationFailed):
            plasma.confirm_receipt(
                session=session,
                actor=clerk,
                shipment_id=shipment.id,
                discrepancies=[plasma.DiscrepancyInput("extra", units[0].din)],
            )
        plasma.confirm_receipt(
            session=session,
            actor=clerk,
            shipment_id=shipment.id,
            discrepancies=[plasma.DiscrepancyInput("damaged", units[1].din, "bag torn")],
        )
        statuses = {u.din: i.receipt_status for i, u in plasma.shipment_items(session, shipment)}
        assert statuses == {units[0].din: "ok", units[1].din: "damaged"}
        with pytest.raises(Conflict):
            plasma.confirm_receipt(
                session=session, actor=clerk, shipment_id=shipment.id, discrepancies=[]
            )
        with pytest.raises(Forbidden):
            plasma.confirm_receipt(
                session=session,
                actor=as_user(session, world, "sca.quality"),
                shipment_id=shipment.id,
                discrepancies=[],
            )
