"""Shipments in the API: the manufacturer confirms receipt from its own system."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.accounts.models import Organisation
from blood.plasma import service
from blood.plasma.schemas import ReceiptIn, ShipmentOut

blp = Blueprint("plasma_api", __name__, description="Plasma shipments to manufacturers")


@blp.before_request
def _authenticate():
    require_actor()


def shipment_out(shipment) -> dict:
    session = db.session()
    station = session.get(Organisation, shipment.station_id)
    manufacturer = session.get(Organisation, shipment.manufacturer_id)
    return {
        "id": shipment.id,
        "number": shipment.number,
        "station": station.code,
        "manufacturer": manufacturer.code,
        "status": shipment.status,
        "shipped_at": shipment.shipped_at,
        "received_at": shipment.received_at,
        "items": [
            {
                "din": unit.din,
                "check_character": unit.check_character,
                "box": item.box_label,
                "weight_g": unit.total_weight_g,
                "blood_group": unit.blood_group,
                "receipt_status": item.receipt_status,
            }
            for item, unit in service.shipment_items(session, shipment)
        ],
        "discrepancies": [
            {"kind": d.kind, "din": d.din, "note": d.note}
            for d in service.discrepancies_of(session, shipment)
        ],
    }


@blp.route("/shipments")
class Shipments(MethodView):
    @blp.response(200, ShipmentOut(many=True))
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self):
        """Shipments the caller sent (station) or is to receive (manufacturer)."""
        shipments = service.list_shipments(session=db.session(), actor=require_actor())
        return [shipment_out(s) for s in shipments]


@blp.route("/shipments/<int:shipment_id>")
class ShipmentById(MethodView):
    @blp.response(200, ShipmentOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, shipment_id):
        shipment = service.get_shipment(
            session=db.session(), actor=require_actor(), shipment_id=shipment_id
        )
        return shipment_out(shipment)


@blp.route("/shipments/<int:shipment_id>/receipt")
class ShipmentReceipt(MethodView):
    @blp.arguments(ReceiptIn)
    @blp.response(200, ShipmentOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, data, shipment_id):
        """Confirm receipt (once), listing missing, damaged or extra units."""
        shipment = service.confirm_receipt(
            session=db.session(),
            actor=require_actor(),
            shipment_id=shipment_id,
            discrepancies=[service.DiscrepancyInput(**d) for d in data["discrepancies"]],
            received_by=data.get("received_by"),
            note=data.get("note"),
        )
        return shipment_out(shipment)
