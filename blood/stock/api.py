"""Hospitals' systems order units, confirm receipts, record what became of units, read stock."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from blood import db
from blood.accounts.auth import require_actor
from blood.accounts.models import Organisation
from blood.accounts.scoping import require_visible_org
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.lifecycle import Action

blp = Blueprint("stock_api", __name__, description="Blood orders, dispatches, units and stock")
SECURITY = [{"bearerAuth": []}]


@blp.before_request
def _authenticate():
    require_actor()


def _code(org_id: int | None) -> str | None:
    if org_id is None:
        return None
    return db.session().get(Organisation, org_id).code


def unit_out(unit) -> dict:
    return {
        **{
            k: getattr(unit, k)
            for k in (
                "din",
                "check_character",
                "product_code",
                "division",
                "component",
                "volume_ml",
                "collected_at",
                "expires_at",
                "state",
                "discard_reason",
            )
        },
        "blood_group": unit.blood_group,
    }


def order_out(order) -> dict:
    return {
        "id": order.id,
        "number": order.number,
        "hospital": _code(order.hospital_id),
        "centre": _code(order.centre_id),
        "urgency": order.urgency,
        "status": order.status,
        "created_at": order.created_at,
        "lines": [vars(line) for line in stock.order_lines(db.session(), order)],
    }


def dispatch_out(dispatch) -> dict:
    session = db.session()
    order = session.get(stock.Order, dispatch.order_id) if dispatch.order_id else None
    return {
        "id": dispatch.id,
        "number": dispatch.number,
        "kind": dispatch.kind,
        "source": _code(dispatch.from_id),
        "destination": _code(dispatch.to_id),
        "order": order.number if order else None,
        "status": dispatch.status,
        "dispatched_at": dispatch.dispatched_at,
        "received_at": dispatch.received_at,
        "units": [unit_out(unit) for _item, unit in stock.dispatch_units(session, dispatch)],
    }


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(schemas.OrderIn)
    @blp.response(201, schemas.OrderOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Order units from a blood centre (component, ABO/RhD, quantity, urgency)."""
        order = stock.create_order(
            session=db.session(),
            actor=require_actor(),
            centre_code=data["centre"],
            urgency=data["urgency"],
            note=data.get("note"),
            lines=[stock.OrderLineInput(**line) for line in data["lines"]],
        )
        return order_out(order)

    @blp.response(200, schemas.OrderOut(many=True))
    @blp.doc(security=SECURITY)
    def get(self):
        """Orders placed by the caller's hospital, or addressed to its blood centre."""
        return [
            order_out(o) for o in stock.list_orders(session=db.session(), actor=require_actor())
        ]


@blp.route("/orders/<int:order_id>")
class OrderById(MethodView):
    @blp.response(200, schemas.OrderOut)
    @blp.doc(security=SECURITY)
    def get(self, order_id):
        return order_out(
            stock.get_order(session=db.session(), actor=require_actor(), order_id=order_id)
        )


@blp.route("/dispatches")
class Dispatches(MethodView):
    @blp.response(200, schemas.DispatchOut(many=True))
    @blp.doc(security=SECURITY)
    def get(self):
        """Dispatches sent by or to the caller's organisation."""
        return [
            dispatch_out(d)
            for d in stock.list_dispatches(session=db.session(), actor=require_actor())
        ]


@blp.route("/receipts")
class Receipts(MethodView):
    @blp.arguments(schemas.DispatchReceiptIn)
    @blp.response(200, schemas.DispatchOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Confirm receipt of a dispatch: every unit, with its temperature-in-range flag."""
        dispatch = stock.confirm_receipt(
            session=db.session(),
            actor=require_actor(),
            number=data["dispatch"],
            lines=[stock.ReceiptLine(**line) for line in data["units"]],
        )
        return dispatch_out(dispatch)


@blp.route("/transfers")
class Transfers(MethodView):
    @blp.arguments(schemas.TransferIn)
    @blp.response(201, schemas.DispatchOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Send units from the caller's hospital to another hospital."""
        session, actor = db.session(), require_actor()
        units = [stock.find_unit(session=session, actor=actor, **u) for u in data["units"]]
        return dispatch_out(
            stock.transfer_units(session=session, actor=actor, to_code=data["to"], units=units)
        )


@blp.route("/units/actions")
class UnitActions(MethodView):
    @blp.arguments(schemas.UnitActionIn)
    @blp.response(200, schemas.UnitOut)
    @blp.doc(security=SECURITY)
    def post(self, data):
        """Transfuse, return or discard (with a reason) a unit the caller holds. An
        impossible transition is refused with 409 and the unit's state."""
        session, actor = db.session(), require_actor()
        unit = stock.find_unit(
            session=session,
            actor=actor,
            din=data["din"],
            product_code=data["product_code"],
            division=data["division"],
        )
        unit = stock.hospital_action(
            session=session,
            actor=actor,
            unit=unit,
            action=Action(data["action"]),
            reason=data.get("reason"),
        )
        return unit_out(unit)


@blp.route("/stock")
class Stock(MethodView):
    @blp.arguments(schemas.StockQuery, location="query")
    @blp.response(200, schemas.StockLevelOut(many=True))
    @blp.doc(security=SECURITY)
    def get(self, query):
        """Units on hand, daily usage and days of supply per component and ABO/RhD group,
        over everything the caller may see (an authority: its jurisdiction), or one
        organisation in its scope (`?organisation=CODE`)."""
        session, actor = db.session(), require_actor()
        ids = None
        if "organisation" in query:
            ids = [require_visible_org(session, actor, query["organisation"].upper()).id]
        levels = stock.stock_levels(session=session, actor=actor, organisation_ids=ids)
        return [{**vars(level), "group": level.group} for level in levels]
