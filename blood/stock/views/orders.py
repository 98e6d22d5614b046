"""Orders (a hospital's, to a blood centre), their fulfilment, and the dispatch page where
the receiving hospital confirms the receipt."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.listing import load_list_query
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.views import bp, chosen_ids
from blood.web import Submission, confirmation_page, confirmed, submit


def _line_indices() -> list[int]:
    """The numbers of the order lines posted (``quantity.0``, ``quantity.3`` …)."""
    found = (re.fullmatch(r"quantity\.(\d{1,2})", key) for key in request.form)
    return sorted({int(match.group(1)) for match in found if match})


def _order_form() -> dict[str, Any]:
    """The order form as the API's shape: a line per filled quantity (lines are added and
    removed on the page; their numbers need not be consecutive)."""
    lines = []
    for index in _line_indices():
        quantity = request.form.get(f"quantity.{index}", "").strip()
        if quantity:
            group = request.form.get(f"group.{index}", "")
            lines.append(
                {
                    "component": request.form.get(f"component.{index}", ""),
                    "abo": group[:-1],
                    "rhd": group[-1:],
                    "quantity": quantity,
                }
            )
    return {
        "centre": request.form.get("centre", ""),
        "urgency": request.form.get("urgency", ""),
        "note": request.form.get("note", ""),
        "needed_by": request.form.get("needed_by", ""),
        "lines": lines,
    }


@bp.route("/orders", methods=["GET", "POST"])
@login_required
def orders():
    actor, session = require_actor(), db.session()
    stock.acting_reader(session=session, actor=actor)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        result = submit(
            schemas.OrderIn(),
            lambda data: stock.create_order(
                session=session,
                actor=actor,
                centre_code=data["centre"],
                urgency=data["urgency"],
                note=data.get("note"),
                lines=[stock.OrderLineInput(**line) for line in data["lines"]],
                needed_by=data.get("needed_by"),
            ),
            data=_order_form(),
        )
        if result.ok:
            flash(_("Order %(number)s sent.", number=result.value.number), "success")
            return redirect(url_for("stock.order", order_id=result.value.id))
    args = {k: v for k, v in request.args.items() if v != ""}
    params, list_errors = load_list_query(schemas.OrderListIn(), args)
    status = result.status if result.errors else (422 if list_errors else 200)
    return (
        render_template(
            "stock/orders.html",
            orders=stock.order_list(
                session=session, actor=actor, query=stock.OrderListQuery(**params)
            ),
            args=args,
            list_errors=list_errors,
            parties=stock.order_counterparts(session=session, actor=actor),
            centres=stock.blood_centres(session=session),
            groups=stock.GROUPS,
            errors=result.errors,
            form=request.form,
            line_indices=_line_indices() or [0],
            can_order=stock.may_order(actor),
        ),
        status,
    )


@bp.route("/orders/<int:order_id>", methods=["GET", "POST"])
@login_required
def order(order_id: int):
    actor, session = require_actor(), db.session()
    stock.acting_reader(session=session, actor=actor)
    found = stock.get_order(session=session, actor=actor, order_id=order_id)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        result = submit(
            None,
            lambda data: stock.fulfil_order(session=session, actor=actor, **data),
            data={"order_id": found.id, "unit_ids": chosen_ids()},
            refusals=(stock.TransitionRefused, stock.UnitExpired),
        )
        if result.ok:
            flash(_("Dispatch %(number)s is on its way.", number=result.value.number), "success")
            return redirect(url_for("stock.dispatch", dispatch_id=result.value.id))
    choice = stock.fulfilment_choice(session=session, actor=actor, order=found)
    hospital, centre = stock.order_parties(session=session, order=found)
    return (
        render_template(
            "stock/order.html",
            order=found,
            lines=stock.order_lines(session=session, order=found),
            hospital=hospital,
            centre=centre,
            available=choice.units,
            suggested=choice.suggested,
            can_fulfil=stock.may_fulfil(actor, found),
            errors=result.errors,
        ),
        result.status,
    )


@bp.get("/dispatches")
@login_required
def dispatches():
    """Dispatches sent and received: sender, receiver, units; searched, filtered, sorted and
    paged in the URL (a bad parameter: 422 beside its field)."""
    actor, session = require_actor(), db.session()
    stock.acting_reader(session=session, actor=actor)
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.DispatchListIn(), args)
    page = stock.dispatch_list(
        session=session, actor=actor, query=stock.DispatchListQuery(**params)
    )
    body = render_template(
        "stock/dispatches.html",
        page=page,
        args=args,
        errors=errors,
        parties=stock.dispatch_counterparts(session=session, actor=actor),
    )
    return body, 422 if errors else 200


@bp.route("/dispatches/<int:dispatch_id>", methods=["GET", "POST"])
@login_required
def dispatch(dispatch_id: int):
    actor, session = require_actor(), db.session()
    found = stock.get_dispatch(session=session, actor=actor, dispatch_id=dispatch_id)
    items = stock.dispatch_units(session=session, dispatch=found)
    result: Submission = Submission()  # nothing posted yet
    if request.method == "POST":
        lines = [
            stock.ReceiptLine(
                din=u.din,
                product_code=u.product_code,
                division=u.division,
                temperature_ok=request.form.get(f"temperature_ok.{u.id}") == "on",
            )
            for _item, u in items
        ]
        exceptions = [
            u.label for (_i, u), line in zip(items, lines, strict=True) if not line.temperature_ok
        ]
        if exceptions and not confirmed():
            return confirmation_page(
                title=_("Receive with temperature exceptions?"),
                message=_(
                    "These units arrived out of their temperature range: they are received "
                    "on hold, not into stock, and the excursion is recorded. You then return "
                    "each to the blood centre or discard it."
                ),
                items=exceptions,
                cancel_url=url_for("stock.dispatch", dispatch_id=found.id),
                button=_("Receive, %(n)d on hold", n=len(exceptions)),
            )
        result = submit(
            None,
            lambda data: stock.confirm_receipt(session=session, actor=actor, **data),
            data={
                "dispatch_id": found.id,
                "lines": lines,
                "scanned": request.form.get("scanned", ""),
            },
        )
        if result.ok:
            flash(_("Receipt confirmed."), "success")
            if exceptions:
                flash(
                    _("%(n)d units on hold after a temperature excursion.", n=len(exceptions)),
                    "info",
                )
            return redirect(url_for("stock.dispatch", dispatch_id=found.id))
    source, destination = stock.dispatch_parties(session=session, dispatch=found)
    return (
        render_template(
            "stock/dispatch.html",
            dispatch=found,
            items=items,
            errors=result.errors,
            source=source,
            destination=destination,
            can_receive=stock.may_receive(actor, found),
            states=stock.STATE_WORDS,
        ),
        result.status,
    )
