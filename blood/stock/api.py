"""Hospitals' systems order units, confirm receipts, record what became of units, read stock.

Handlers parse, call the service and return what it gives; the output schemas dump it."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.errors import ValidationFailed
from blood.pagination import DEFAULT_PAGE_SIZE, api_items, api_request
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.lifecycle import Action
from blood.web import flatten_errors

blp = Blueprint("stock_api", __name__, description="Blood orders, dispatches, units and stock")
SECURITY = [{"bearerAuth": []}]


@blp.before_request
def _authenticate():
    require_actor()


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(schemas.OrderIn)
    @blp.response(201, schemas.OrderOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Order units from a blood centre (component, ABO/RhD, quantity, urgency; optionally
        the time they are needed by, ``needed_by``)."""
        session = db.session()
        order = stock.create_order(
            session=session,
            actor=require_actor(),
            centre_code=data["centre"],
            urgency=data["urgency"],
            note=data.get("note"),
            lines=[stock.OrderLineInput(**line) for line in data["lines"]],
            needed_by=data.get("needed_by"),
        )
        return stock.order_detail(session=session, order=order)

    @blp.arguments(schemas.OrderFilterIn, location="query")
    @blp.response(200, schemas.OrderOut(many=True))
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, query, pagination_parameters):
        """Orders placed by the caller's hospital, or addressed to its blood centre, newest
        first; ``q`` finds an order number, ``state``, ``urgency``, ``organisation`` (the other
        party), ``from``/``to`` (creation dates) filter, ``sort`` orders (``needed``,
        ``-created``, ``urgency`` …) — as the order list page does (paged: ``?page=&page_size=``,
        totals in ``X-Pagination``)."""
        page = stock.order_page(
            session=db.session(),
            actor=require_actor(),
            page=api_request(pagination_parameters),
            query=stock.OrderListQuery(**query),
        )
        return api_items(pagination_parameters, page)


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @blp.response(200, schemas.OrderOut)
    @blp.doc(security=SECURITY)
    def get(self, order_id):
        session = db.session()
        order = stock.get_order(session=session, actor=require_actor(), order_id=order_id)
        return stock.order_detail(session=session, order=order)


@blp.route("/orders/<int:order_id>/dispatch")
class OrderFulfilment(MethodView):
    @blp.arguments(schemas.UnitRefsIn)
    @blp.response(201, schemas.DispatchOut)
    @blp.doc(security=SECURITY)
    def post(self, data, order_id):
        """The blood centre sends units for an order (each by DIN, product code, division):
        only released units that match an open line; the dispatch goes to the hospital."""
        session, actor = db.session(), require_actor()
        units = stock.find_units(session=session, actor=actor, refs=data["units"])
        dispatch = stock.fulfil_order(
            session=session, actor=actor, order_id=order_id, unit_ids=[u.id for u in units]
        )
        return stock.dispatch_detail(session=session, dispatch=dispatch)


@blp.route("/blood-lab-results")
class BloodLabResults(MethodView):
    @blp.arguments(schemas.LabResultsIn)
    @blp.response(201, schemas.LabOutcomeOut(many=True))
    @blp.doc(security=SECURITY)
    def post(self, data):
        """The blood centre laboratory's results, all or nothing: per sample the DIN, and
        the group (`abo`, `rhd`) and/or markers (`hbsag`: negative | reactive …, `alt`: U/L),
        each entered once. A reactive marker discards the donation's components and defers
        the donor permanently."""
        session, actor = db.session(), require_actor()
        markers = stock.lab_markers(session=session)
        schema = schemas.lab_result_schema(markers)
        rows, errors = [], {}
        for index, row in enumerate(data["results"]):
            try:
                rows.append(schema.load(row))
            except ma.ValidationError as error:
                for name, messages in flatten_errors(error.messages).items():
                    errors[f"results.{index}.{name}"] = messages
        if errors:
            raise ValidationFailed(errors)
        outcomes = stock.record_lab_results(
            session=session,
            actor=actor,
            results=[
                stock.LabInput(
                    din=row["din"],
                    abo=row.get("abo"),
                    rhd=row.get("rhd"),
                    results={m: row[m] for m in markers if m in row},
                )
                for row in rows
            ],
        )
        return [
            {
                "din": o.donation.din,
                "group_status": o.group_status,
                "failed": o.failed,
                "discarded": o.discarded,
            }
            for o in outcomes
        ]


@blp.route("/dispatches")
class Dispatches(MethodView):
    @blp.arguments(schemas.DispatchFilterIn, location="query")
    @blp.response(200, schemas.DispatchOut(many=True))
    @blp.paginate(page_size=DEFAULT_PAGE_SIZE)
    @blp.doc(security=SECURITY)
    def get(self, query, pagination_parameters):
        """Dispatches sent by or to the caller's organisation, newest first; ``q`` finds a
        dispatch number, ``state``, ``kind``, ``organisation``, ``from``/``to`` (dispatch
        dates) filter, ``sort`` orders — as the dispatch list page does (paged)."""
        page = stock.dispatch_page(
            session=db.session(),
            actor=require_actor(),
            page=api_request(pagination_parameters),
            query=stock.DispatchListQuery(**query),
        )
        return api_items(pagination_parameters, page)


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(schemas.DispatchReceiptIn)
    @blp.response(200, schemas.DispatchOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Confirm receipt of a dispatch: every unit, with its temperature-in-range flag."""
        session = db.session()
        dispatch = stock.confirm_receipt(
            session=session,
            actor=require_actor(),
            number=data["dispatch"],
            lines=[stock.ReceiptLine(**line) for line in data["units"]],
            scanned=data.get("scanned"),
        )
        return stock.dispatch_detail(session=session, dispatch=dispatch)


@blp.route("/transfers")
class Transfers(MethodView):
    @blp.arguments(schemas.TransferIn)
    @blp.response(201, schemas.DispatchOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Send units from the caller's hospital to another hospital."""
        session, actor = db.session(), require_actor()
        units = stock.find_units(session=session, actor=actor, refs=data["units"])
        dispatch = stock.transfer_units(
            session=session, actor=actor, to_code=data["to"], units=units
        )
        return stock.dispatch_detail(session=session, dispatch=dispatch)


@blp.route("/units/actions")
class UnitActions(MethodView):
    @blp.arguments(schemas.UnitActionIn)
    @blp.response(200, schemas.UnitOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Return or discard (with a reason) a unit the caller holds, or restock a returned
        unit at the centre; a unit on hold after a temperature excursion can only be returned
        or discarded (reason `temperature_excursion`). An impossible transition is refused
        with 409 and the unit's state. To transfuse, record the transfusion:
        `POST /api/v1/transfusions`."""
        session, actor = db.session(), require_actor()
        unit = stock.find_unit(
            session=session,
            actor=actor,
            din=data["din"],
            product_code=data["product_code"],
            division=data["division"],
        )
        return stock.hospital_action(
            session=session,
            actor=actor,
            unit=unit,
            action=Action(data["action"]),
            reason=data.get("reason"),
        )


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(schemas.StockQuery, location="query")
    @blp.response(200, schemas.StockLevelOut(many=True))
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Units on hand, daily usage and days of supply per component and ABO/RhD group,
        over everything the caller may see (an authority: its jurisdiction), or one
        organisation in its scope (`?organisation=CODE`)."""
        return stock.stock_levels(
            session=db.session(),
            actor=require_actor(),
            organisation_code=query.get("organisation"),
        )
