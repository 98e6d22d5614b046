"""Shipments in the API: the manufacturer confirms receipt from its own system."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request
from blood.plasma import service
from blood.plasma.schemas import ReceiptIn, ShipmentOut

blp = Blueprint("plasma_api", __name__, description="Plasma shipments to manufacturers")


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/shipments")
class Shipments(MethodView):
    @blp.response(200, ShipmentOut(many=True))
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, pagination_parameters):
        """Shipments the caller sent (station) or is to receive (manufacturer), latest first
        (paged: ``?page=&page_size=``, totals in ``X-Pagination``)."""
        page = service.shipment_reports(
            session=db.session(), actor=require_actor(), page=api_request(pagination_parameters)
        )
        return api_items(pagination_parameters, page)


@blp.route("/shipments/<int:shipment_id>")
class ShipmentById(MethodView):
    @blp.response(200, ShipmentOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def get(self, shipment_id):
        return service.shipment_report(
            session=db.session(), actor=require_actor(), shipment_id=shipment_id
        )


@blp.route("/shipments/<int:shipment_id>/receipt")
class ShipmentReceipt(MethodView):
    @blp.arguments(ReceiptIn)
    @blp.response(200, ShipmentOut)
    @blp.doc(security=[{"bearerAuth": []}])
    def post(self, data, shipment_id):
        """Confirm receipt (once), listing missing, damaged or extra units."""
        session, actor = db.session(), require_actor()
        shipment = service.confirm_receipt(
            session=session,
            actor=actor,
            shipment_id=shipment_id,
            discrepancies=[service.DiscrepancyInput(**d) for d in data["discrepancies"]],
            received_by=data.get("received_by"),
            note=data.get("note"),
            scanned=data.get("scanned"),
        )
        return service.shipment_report(session=session, actor=actor, shipment_id=shipment.id)
