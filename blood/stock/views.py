"""Blood-centre and hospital stock pages. Views parse with the action's schema, call one
service function and render."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import select

from blood import db
from blood.accounts.auth import current_organisation, require_actor
from blood.accounts.models import Organisation
from blood.accounts.roles import OrgKind
from blood.accounts.scoping import require_visible_org
from blood.accounts.service import list_organisations
from blood.donors import rules
from blood.donors.messages import QUESTION_LABELS
from blood.errors import Forbidden, NotFound, ValidationFailed
from blood.stock import schemas
from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import BloodDonation, ProductCode, Unit
from blood.web import load_form

bp = Blueprint("stock", __name__, url_prefix="/stock")


def _org(*kinds: OrgKind) -> Organisation:
    org = current_organisation()
    if org is None or OrgKind(org.kind) not in kinds:
        raise Forbidden()
    return org


@bp.get("/")
@login_required
def levels():
    actor = require_actor()
    org = _org(OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL, OrgKind.AUTHORITY)
    session = db.session()
    # An authority sees its whole jurisdiction, or one organisation in it (?org=CODE).
    chosen = request.args.get("org")
    focus = require_visible_org(session, actor, chosen.upper()) if chosen else None
    rows = stock.stock_levels(
        session=session, actor=actor, organisation_ids=[focus.id] if focus else None
    )
    expiring = []
    holders = []
    if org.kind == OrgKind.AUTHORITY:
        holders = [
            o
            for o in list_organisations(session=session, actor=actor)
            if o.kind in (OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)
        ]
    else:
        expiring = stock.near_expiry(session=session, actor=actor)
    return render_template(
        "stock/levels.html",
        rows=rows,
        expiring=expiring,
        focus=focus,
        holders=holders,
        window=stock.usage_window_days(),
    )


# --- blood centre: collection and components -----------------------------------------------


@bp.route("/collect", methods=["GET", "POST"])
@login_required
def collect():
    actor = require_actor()
    _org(OrgKind.BLOOD_CENTRE)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(schemas.BloodDonationIn())
        if not errors:
            measured = schemas.ScreeningIn._declared_fields
            screening = {k: data.pop(k) for k in list(data) if k in measured}
            try:
                donation = stock.record_blood_donation(
                    session=db.session(),
                    actor=actor,
                    data=stock.BloodDonationInput(
                        donor=data["donor"],
                        kind=data["kind"],
                        volume_ml=data["volume_ml"],
                        adverse_reaction=data.get("adverse_reaction"),
                        screening=rules.Screening(**screening),
                    ),
                )
            except ValidationFailed as error:
                errors = error.fields
            except stock.donors.RegisteredElsewhere as refusal:
                errors = {"donor": [refusal.message]}
            except NotFound:
                errors = {"donor": [_("No donor with this resident ID or card number here.")]}
            else:
                flash(_("Collected: DIN %(din)s.", din=donation.din), "success")
                return redirect(url_for("stock.donation", donation_id=donation.id))
    return (
        render_template(
            "stock/collect.html", errors=errors, form=request.form, questions=QUESTION_LABELS
        ),
        422 if errors else 200,
    )


@bp.route("/donations/<int:donation_id>", methods=["GET", "POST"])
@login_required
def donation(donation_id: int):
    actor = require_actor()
    centre = _org(OrgKind.BLOOD_CENTRE)
    session = db.session()
    found = session.get(BloodDonation, donation_id)
    if found is None or found.centre_id != centre.id:
        raise NotFound()
    errors: dict = {}
    if request.method == "POST":
        rows = []
        for index in range(4):
            code = request.form.get(f"product_code.{index}", "").strip()
            if code:
                rows.append(
                    {
                        "product_code": code,
                        "volume_ml": request.form.get(f"volume_ml.{index}", ""),
                        "division": request.form.get(f"division.{index}", "") or "00",
                    }
                )
        data, errors = load_form(schemas.ComponentsIn(), {"components": rows})
        if not errors:
            try:
                stock.produce_components(
                    session=session,
                    actor=actor,
                    donation_id=found.id,
                    components=[stock.ComponentInput(**c) for c in data["components"]],
                )
            except ValidationFailed as error:
                errors = error.fields
            else:
                flash(_("Components recorded; they wait for test results."), "success")
                return redirect(url_for("stock.donation", donation_id=found.id))
    units = session.exec(select(Unit).where(Unit.donation_id == found.id)).all()
    products = session.exec(
        select(ProductCode).order_by(ProductCode.component, ProductCode.code)
    ).all()
    return (
        render_template(
            "stock/donation.html",
            donation=found,
            units=units,
            products=products,
            errors=errors,
            form=request.form,
        ),
        422 if errors else 200,
    )


@bp.route("/units", methods=["GET", "POST"])
@login_required
def units():
    """The organisation's live units: release tested ones (centre), act on them (hospital)."""
    actor = require_actor()
    org = _org(OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)
    session = db.session()
    if request.method == "POST":
        chosen = [int(i) for i in request.form.getlist("unit") if i.isdigit()]
        released = stock.release_tested(session=session, actor=actor, unit_ids=chosen)
        flash(_("%(n)d units released for use.", n=len(released)), "success")
        return redirect(url_for("stock.units"))
    rows = session.exec(
        select(Unit)
        .where(
            Unit.owner_id == org.id,
            Unit.state.in_(
                [s.value for s in stock.ON_HAND] + [UnitState.PENDING_TESTS, UnitState.RETURNED]
            ),
        )
        .order_by(Unit.state, Unit.expires_at)
    ).all()
    hospitals = session.exec(
        select(Organisation)
        .where(
            Organisation.kind == OrgKind.HOSPITAL, Organisation.active, Organisation.id != org.id
        )
        .order_by(Organisation.code)
    ).all()
    return render_template(
        "stock/units.html",
        units=rows,
        hospitals=hospitals,
        reasons=stock.DISCARD_REASONS,
        states=stock.STATE_WORDS,
    )


@bp.post("/units/<int:unit_id>/action")
@login_required
def unit_action(unit_id: int):
    actor = require_actor()
    session = db.session()
    unit = session.get(Unit, unit_id)
    org = _org(OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL)
    if unit is None or unit.owner_id != org.id:
        raise NotFound()
    data, errors = load_form(
        schemas.UnitActionIn(),
        {
            "din": unit.din,
            "product_code": unit.product_code,
            "division": unit.division,
            "action": request.form.get("action", ""),
            "reason": request.form.get("reason", ""),
        },
    )
    if errors:
        flash(" ".join(m for ms in errors.values() for m in ms), "error")
        return redirect(url_for("stock.units")), 303
    try:
        stock.hospital_action(
            session=session,
            actor=actor,
            unit=unit,
            action=Action(data["action"]),
            reason=data.get("reason"),
        )
    except ValidationFailed as error:
        flash(" ".join(m for ms in error.fields.values() for m in ms), "error")
        return redirect(url_for("stock.units")), 303
    flash(
        _(
            "Unit %(unit)s: %(state)s.",
            unit=unit.label,
            state=stock.STATE_WORDS[UnitState(unit.state)],
        ),
        "success",
    )
    return redirect(url_for("stock.units"))


@bp.post("/transfers")
@login_required
def transfer():
    actor = require_actor()
    org = _org(OrgKind.HOSPITAL)
    session = db.session()
    chosen = [int(i) for i in request.form.getlist("unit") if i.isdigit()]
    picked = session.exec(select(Unit).where(Unit.id.in_(chosen), Unit.owner_id == org.id)).all()
    try:
        dispatch = stock.transfer_units(
            session=session, actor=actor, to_code=request.form.get("to", ""), units=list(picked)
        )
    except ValidationFailed as error:
        flash(" ".join(m for ms in error.fields.values() for m in ms), "error")
        return redirect(url_for("stock.units")), 303
    flash(_("Transfer %(number)s sent.", number=dispatch.number), "success")
    return redirect(url_for("stock.dispatch", dispatch_id=dispatch.id))


# --- orders and dispatches -------------------------------------------------------------------


@bp.route("/orders", methods=["GET", "POST"])
@login_required
def orders():
    actor = require_actor()
    org = _org(OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL, OrgKind.AUTHORITY)
    session = db.session()
    errors: dict = {}
    if request.method == "POST":
        lines = []
        for index in range(4):
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
        data, errors = load_form(
            schemas.OrderIn(),
            {
                "centre": request.form.get("centre", ""),
                "urgency": request.form.get("urgency", ""),
                "note": request.form.get("note", ""),
                "lines": lines,
            },
        )
        if not errors:
            try:
                order = stock.create_order(
                    session=session,
                    actor=actor,
                    centre_code=data["centre"],
                    urgency=data["urgency"],
                    note=data.get("note"),
                    lines=[stock.OrderLineInput(**line) for line in data["lines"]],
                )
            except ValidationFailed as error:
                errors = error.fields
            else:
                flash(_("Order %(number)s sent.", number=order.number), "success")
                return redirect(url_for("stock.order", order_id=order.id))
    centres = session.exec(
        select(Organisation).where(Organisation.kind == OrgKind.BLOOD_CENTRE, Organisation.active)
    ).all()
    return (
        render_template(
            "stock/orders.html",
            orders=stock.list_orders(session=session, actor=actor),
            centres=centres,
            groups=stock.GROUPS,
            errors=errors,
            form=request.form,
            can_order=org.kind == OrgKind.HOSPITAL,
        ),
        422 if errors else 200,
    )


@bp.route("/orders/<int:order_id>", methods=["GET", "POST"])
@login_required
def order(order_id: int):
    actor = require_actor()
    org = _org(OrgKind.BLOOD_CENTRE, OrgKind.HOSPITAL, OrgKind.AUTHORITY)
    session = db.session()
    found = stock.get_order(session=session, actor=actor, order_id=order_id)
    errors: dict = {}
    if request.method == "POST":
        chosen = [int(i) for i in request.form.getlist("unit") if i.isdigit()]
        try:
            dispatch = stock.fulfil_order(
                session=session, actor=actor, order_id=found.id, unit_ids=chosen
            )
        except ValidationFailed as error:
            errors = error.fields
        else:
            flash(_("Dispatch %(number)s is on its way.", number=dispatch.number), "success")
            return redirect(url_for("stock.dispatch", dispatch_id=dispatch.id))
    can_fulfil = org.id == found.centre_id and found.status in ("open", "partial")
    suggestion = (
        stock.fefo_suggestion(session=session, actor=actor, order_id=found.id) if can_fulfil else {}
    )
    suggested = {u.id for units in suggestion.values() for u in units}
    return (
        render_template(
            "stock/order.html",
            order=found,
            lines=stock.order_lines(session, found),
            hospital=session.get(Organisation, found.hospital_id),
            centre=session.get(Organisation, found.centre_id),
            available=stock.candidate_units(session, found) if can_fulfil else [],
            suggested=suggested,
            can_fulfil=can_fulfil,
            errors=errors,
        ),
        422 if errors else 200,
    )


@bp.route("/dispatches/<int:dispatch_id>", methods=["GET", "POST"])
@login_required
def dispatch(dispatch_id: int):
    actor = require_actor()
    session = db.session()
    found = stock.get_dispatch(session=session, actor=actor, dispatch_id=dispatch_id)
    items = stock.dispatch_units(session, found)
    errors: dict = {}
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
        try:
            stock.confirm_receipt(session=session, actor=actor, dispatch_id=found.id, lines=lines)
        except ValidationFailed as error:
            errors = error.fields
        else:
            flash(_("Receipt confirmed."), "success")
            return redirect(url_for("stock.dispatch", dispatch_id=found.id))
    return (
        render_template(
            "stock/dispatch.html",
            dispatch=found,
            items=items,
            errors=errors,
            source=session.get(Organisation, found.from_id),
            destination=session.get(Organisation, found.to_id),
            can_receive=actor.organisation_id == found.to_id and found.status == "in_transit",
        ),
        422 if errors else 200,
    )
