"""The plasma station's web forms. Views parse with the action's schema, call one service
function and render; every rule lives in the services."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import barcode as barcode_lib
from barcode.writer import SVGWriter
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlmodel import select

from blood import db, isbt128
from blood.accounts.auth import current_organisation, require_actor
from blood.accounts.models import Organisation
from blood.accounts.roles import Role
from blood.donors import rules
from blood.donors import service as donors
from blood.donors.messages import QUESTION_LABELS, RAPID_TEST_LABELS, describe
from blood.donors.models import Donor
from blood.errors import NotFound, ValidationFailed
from blood.plasma import schemas
from blood.plasma import service as plasma
from blood.plasma.models import Collection, LabResult, Visit, VisitStatus
from blood.web import load_form

bp = Blueprint("plasma", __name__, url_prefix="/station")


def _station():
    actor = require_actor()
    station = plasma.require_station(db.session(), actor)
    return actor, station


def _collecting_org():
    """The donor registry pages serve blood centres too (whole-blood donors)."""
    actor = require_actor()
    return actor, donors.require_collecting_org(db.session(), actor)


# --- donors ------------------------------------------------------------------------------


@bp.get("/")
@login_required
def desk():
    """The front desk: find a donor, check in, today's visits."""
    _actor, station = _station()
    today = donors.local_today(station)
    visits = (
        db.session()
        .exec(
            select(Visit, Donor)
            .join(Donor, Donor.id == Visit.donor_id)
            .where(Visit.station_id == station.id, Visit.visit_date == today)
            .order_by(Visit.checked_in_at.desc())
        )
        .all()
    )
    return render_template("plasma/desk.html", visits=visits, errors={}, form={})


@bp.get("/donors")
@login_required
def find():
    actor, _station_org = _collecting_org()
    query = request.args.get("q", "")
    try:
        donor = donors.find_donor(session=db.session(), actor=actor, query=query)
    except NotFound:
        flash(_("No donor with this resident ID or card number is registered here."), "info")
        return redirect(url_for("plasma.desk"))
    except donors.RegisteredElsewhere as elsewhere:
        flash(elsewhere.message, "info")
        return redirect(url_for("plasma.desk"))
    return redirect(url_for("plasma.donor", donor_id=donor.id))


@bp.route("/donors/new", methods=["GET", "POST"])
@login_required
def register():
    actor, _station_org = _collecting_org()
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(schemas.DonorRegistrationIn())
        if not errors:
            try:
                donor = donors.register_donor(
                    session=db.session(), actor=actor, data=donors.DonorRegistration(**data)
                )
            except ValidationFailed as error:
                errors = error.fields
            except (donors.AlreadyRegistered, donors.RegisteredElsewhere) as refusal:
                errors = {"resident_id": [refusal.message]}
            else:
                flash(_("Registered: card number %(card)s.", card=donor.card_number), "success")
                return redirect(url_for("plasma.donor", donor_id=donor.id))
    status = 422 if errors else 200
    return render_template("plasma/register.html", form=request.form, errors=errors), status


@bp.get("/donors/<int:donor_id>")
@login_required
def donor(donor_id: int):
    actor, station = _collecting_org()
    session = db.session()
    person = donors.get_donor(session=session, actor=actor, donor_id=donor_id)
    visits = session.exec(
        select(Visit).where(Visit.donor_id == person.id).order_by(Visit.visit_date.desc())
    ).all()
    units = session.exec(
        select(Collection, LabResult)
        .outerjoin(LabResult, LabResult.collection_id == Collection.id)
        .where(Collection.donor_id == person.id)
        .order_by(Collection.started_at.desc())
    ).all()
    today = donors.local_today(station)
    blockers = donors.history_blockers(session=session, station=station, donor=person, on=today)
    return render_template(
        "plasma/donor.html",
        donor=person,
        contact=donors.reveal_contact(person),
        visits=visits,
        units=units,
        deferrals=donors.deferrals_of(session, person),
        history_reasons=blockers.reasons,
        next_eligible_on=blockers.next_eligible_on,
        age=rules.age_on(person.birth_date, today),
        deferral_reasons=donors.DEFERRAL_REASONS,
        describe=describe,
        errors={},
        form={},
    )


@bp.post("/check-in")
@login_required
def check_in():
    actor, _station_org = _station()
    data, errors = load_form(schemas.CheckInIn())
    if not errors:
        try:
            visit = plasma.check_in(
                session=db.session(), actor=actor, resident_id=data["resident_id"]
            )
        except ValidationFailed as error:
            errors = error.fields
        except NotFound:
            errors = {"resident_id": [_("Not registered yet: register the donor first.")]}
        except donors.RegisteredElsewhere as refusal:
            errors = {"resident_id": [refusal.message]}
        else:
            return redirect(url_for("plasma.visit", visit_id=visit.id))
    flash(" ".join(m for messages in errors.values() for m in messages), "error")
    return redirect(url_for("plasma.desk")), 303


@bp.post("/donors/<int:donor_id>/deferrals")
@login_required
def defer(donor_id: int):
    actor, _station_org = _collecting_org()
    session = db.session()
    person = donors.get_donor(session=session, actor=actor, donor_id=donor_id)
    data, errors = load_form(schemas.DeferralIn())
    if not errors:
        try:
            donors.defer_donor(session=session, actor=actor, donor=person, source="manual", **data)
        except ValidationFailed as error:
            errors = error.fields
        else:
            flash(_("Deferral recorded; it applies at every station."), "success")
            return redirect(url_for("plasma.donor", donor_id=person.id))
    for messages in errors.values():
        for message in messages:
            flash(message, "error")
    return redirect(url_for("plasma.donor", donor_id=person.id)), 303


@bp.post("/deferrals/<int:deferral_id>/lift")
@login_required
def lift(deferral_id: int):
    actor, _station_org = _collecting_org()
    data, errors = load_form(schemas.LiftDeferralIn())
    if errors:
        flash(_("Say why the deferral is lifted."), "error")
        return redirect(request.referrer or url_for("plasma.desk")), 303
    deferral = donors.lift_deferral(
        session=db.session(), actor=actor, deferral_id=deferral_id, reason=data["reason"]
    )
    flash(_("Deferral lifted."), "success")
    return redirect(url_for("plasma.donor", donor_id=deferral.donor_id))


# --- a visit: screening, decision, collection ----------------------------------------------


def _visit_page(visit: Visit, *, errors: dict | None = None, form=None, status: int = 200):
    session = db.session()
    person = session.get(Donor, visit.donor_id)
    unit = session.exec(select(Collection).where(Collection.visit_id == visit.id)).first()
    decision = plasma.decision_of(visit)
    station = current_organisation()
    profile = donors.profile_for(station)
    limit = rules.collection_limit(profile, visit.weight_kg) if visit.weight_kg else None
    return (
        render_template(
            "plasma/visit.html",
            visit=visit,
            donor=person,
            unit=unit,
            decision=decision,
            limit=limit,
            describe=describe,
            questions=QUESTION_LABELS,
            rapid_tests=RAPID_TEST_LABELS,
            reactions=plasma.ADVERSE_REACTIONS,
            errors=errors or {},
            form=form if form is not None else {},
            now=datetime.now(ZoneInfo(station.timezone)).strftime("%Y-%m-%dT%H:%M"),
            VisitStatus=VisitStatus,
        ),
        status,
    )


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    actor, _station_org = _station()
    return _visit_page(plasma.get_visit(session=db.session(), actor=actor, visit_id=visit_id))


def _screening_form_data() -> dict:
    """Checkboxes and yes/no radios of the form, as the schema's mappings."""
    form = request.form
    data = {
        k: v for k, v in form.items() if k in schemas.ScreeningIn._declared_fields and "." not in k
    }
    data["rapid_tests"] = {
        code: form.get(f"rapid.{code}") == "reactive" for code in rules.RAPID_TESTS
    }
    data["questionnaire"] = {
        code: form.get(f"q.{code}") == "yes" for code in rules.QUESTIONNAIRE if f"q.{code}" in form
    }
    return data


@bp.post("/visits/<int:visit_id>/screening")
@login_required
def screening(visit_id: int):
    actor, _station_org = _station()
    session = db.session()
    current = plasma.get_visit(session=session, actor=actor, visit_id=visit_id)
    data, errors = load_form(schemas.ScreeningIn(), _screening_form_data())
    if errors:
        return _visit_page(current, errors=errors, form=request.form, status=422)
    try:
        updated, _decision = plasma.record_screening(
            session=session, actor=actor, visit_id=visit_id, data=rules.Screening(**data)
        )
    except ValidationFailed as error:
        return _visit_page(current, errors=error.fields, form=request.form, status=422)
    return redirect(url_for("plasma.visit", visit_id=updated.id))


@bp.post("/visits/<int:visit_id>/collection")
@login_required
def collection(visit_id: int):
    actor, station = _station()
    session = db.session()
    current = plasma.get_visit(session=session, actor=actor, visit_id=visit_id)
    data, errors = load_form(schemas.CollectionFormIn())
    if errors:
        return _visit_page(current, errors=errors, form=request.form, status=422)
    zone = ZoneInfo(station.timezone)
    data["started_at"] = data["started_at"].replace(tzinfo=zone)
    data["ended_at"] = data["ended_at"].replace(tzinfo=zone)
    try:
        unit = plasma.record_collection(
            session=session, actor=actor, visit_id=visit_id, data=plasma.CollectionInput(**data)
        )
    except ValidationFailed as error:
        return _visit_page(current, errors=error.fields, form=request.form, status=422)
    flash(_("Collected: DIN %(din)s.", din=unit.din), "success")
    return redirect(url_for("plasma.label", din=unit.din))


# --- units: label, barcode ------------------------------------------------------------------


@bp.get("/units/<din>/label")
@login_required
def label(din: str):
    actor = require_actor()
    unit = plasma.find_unit(session=db.session(), actor=actor, scanned=din)
    person = db.session().get(Donor, unit.donor_id)
    return render_template("plasma/label.html", unit=unit, donor=person)


@bp.get("/units/<din>/barcode.svg")
@login_required
def barcode(din: str):
    actor = require_actor()
    unit = plasma.find_unit(session=db.session(), actor=actor, scanned=din)
    svg = io.BytesIO()
    code = barcode_lib.get("code128", isbt128.barcode_data(unit.din), writer=SVGWriter())
    code.write(svg, options={"write_text": False, "module_height": 12.0, "quiet_zone": 4.0})
    return Response(svg.getvalue(), mimetype="image/svg+xml")


@bp.route("/units/scan", methods=["GET"])
@login_required
def scan():
    actor = require_actor()
    scanned = request.args.get("din", "")
    try:
        unit = plasma.find_unit(session=db.session(), actor=actor, scanned=scanned)
    except ValidationFailed as error:
        flash(" ".join(error.fields["din"]), "error")
        return redirect(request.referrer or url_for("plasma.desk"))
    except NotFound:
        flash(_("No unit with this DIN here."), "error")
        return redirect(request.referrer or url_for("plasma.desk"))
    return redirect(url_for("plasma.label", din=unit.din))


# --- laboratory ----------------------------------------------------------------------------

BATCH_COLUMNS = ("din", "total_protein_g_l", "alt_u_l", "hbsag", "anti_hcv", "anti_hiv", "syphilis")


def _parse_batch(text: str) -> tuple[list[dict], dict[str, list[str]]]:
    rows, errors = [], {}
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        cells = [c.strip() for c in line.replace("\t", ",").split(",")]
        if cells[0].lower() == "din":
            continue  # a header row
        if len(cells) != len(BATCH_COLUMNS):
            errors[f"line {index + 1}"] = [
                _(
                    "Expected %(n)d values: %(columns)s",
                    n=len(BATCH_COLUMNS),
                    columns=", ".join(BATCH_COLUMNS),
                )
            ]
            continue
        rows.append(dict(zip(BATCH_COLUMNS, cells, strict=True)))
    if not rows and not errors:
        errors["batch"] = [_("Paste at least one line.")]
    return rows, errors


@bp.route("/lab", methods=["GET", "POST"])
@login_required
def lab():
    actor, _station_org = _station()
    errors: dict = {}
    if request.method == "POST":
        if request.form.get("batch", "").strip():
            rows, errors = _parse_batch(request.form["batch"])
            loaded = []
            if not errors:
                for index, row in enumerate(rows):
                    data, row_errors = load_form(schemas.LabResultIn(), row)
                    for name, messages in row_errors.items():
                        errors[f"line {index + 1}: {name}"] = messages
                    loaded.append(data)
        else:
            data, errors = load_form(schemas.LabResultIn())
            loaded = [data]
        if not errors:
            try:
                saved = plasma.record_lab_results(
                    session=db.session(),
                    actor=actor,
                    results=[plasma.LabInput(**row) for row in loaded],
                )
            except ValidationFailed as error:
                errors = error.fields
            else:
                flagged = sum(1 for r in saved if r.outcome != "negative")
                flash(
                    _(
                        "%(n)d results recorded; %(bad)d units marked for destruction.",
                        n=len(saved),
                        bad=flagged,
                    ),
                    "success",
                )
                return redirect(url_for("plasma.lab"))
    status = 422 if errors else 200
    return render_template("plasma/lab.html", errors=errors, form=request.form), status


# --- quarantine and inventory ---------------------------------------------------------------


@bp.get("/quarantine")
@login_required
def quarantine():
    actor, _station_org = _station()
    rows = plasma.quarantine_overview(session=db.session(), actor=actor)
    return render_template(
        "plasma/quarantine.html", rows=rows, describe_blocker=plasma.describe_blocker
    )


@bp.post("/quarantine/release")
@login_required
def release():
    actor, _station_org = _station()
    chosen = request.form.getlist("din")
    released, refused = plasma.release_units(session=db.session(), actor=actor, dins=chosen or None)
    flash(_("%(n)d units released.", n=len(released)), "success")
    for din, blockers in refused.items():
        flash(f"{din}: " + " ".join(plasma.describe_blocker(b) for b in blockers), "error")
    return redirect(url_for("plasma.quarantine"))


@bp.get("/inventory")
@login_required
def inventory():
    actor, _station_org = _station()
    rows = plasma.inventory(session=db.session(), actor=actor)
    totals: dict[str, tuple[int, float]] = {}
    for row in rows:
        units, weight = totals.get(row.state, (0, 0.0))
        totals[row.state] = (units + row.units, weight + row.weight_g)
    return render_template("plasma/inventory.html", rows=rows, totals=totals)


# --- shipments ------------------------------------------------------------------------------


@bp.get("/shipments")
@login_required
def shipments():
    actor = require_actor()
    rows = plasma.list_shipments(session=db.session(), actor=actor)
    return render_template("plasma/shipments.html", shipments=rows)


@bp.route("/shipments/new", methods=["GET", "POST"])
@login_required
def new_shipment():
    actor, station = _station()
    session = db.session()
    errors: dict = {}
    if request.method == "POST":
        payload = {
            "manufacturer_code": request.form.get("manufacturer_code", ""),
            "dins": request.form.getlist("din"),
            "box_size": request.form.get("box_size", ""),
        }
        data, errors = load_form(schemas.ShipmentIn(), payload)
        if not errors:
            try:
                shipment = plasma.build_shipment(session=session, actor=actor, **data)
            except ValidationFailed as error:
                errors = error.fields
            else:
                flash(_("Shipment %(number)s is on its way.", number=shipment.number), "success")
                return redirect(url_for("plasma.shipment", shipment_id=shipment.id))
    released = session.exec(
        select(Collection)
        .where(Collection.station_id == station.id, Collection.state == "released")
        .order_by(Collection.started_at)
    ).all()
    return (
        render_template(
            "plasma/shipment_new.html",
            units=released,
            manufacturers=plasma.manufacturers(session),
            errors=errors,
            form=request.form,
        ),
        422 if errors else 200,
    )


@bp.route("/shipments/<int:shipment_id>", methods=["GET", "POST"])
@login_required
def shipment(shipment_id: int):
    actor = require_actor()
    session = db.session()
    found = plasma.get_shipment(session=session, actor=actor, shipment_id=shipment_id)
    errors: dict = {}
    if request.method == "POST":
        discrepancies = []
        for kind in ("missing", "damaged", "extra"):
            for din in request.form.get(kind, "").replace(",", "\n").splitlines():
                if din.strip():
                    discrepancies.append({"kind": kind, "din": din.strip()})
        data, errors = load_form(
            schemas.ReceiptIn(),
            {"note": request.form.get("note", ""), "discrepancies": discrepancies},
        )
        if not errors:
            try:
                plasma.confirm_receipt(
                    session=session,
                    actor=actor,
                    shipment_id=found.id,
                    discrepancies=[plasma.DiscrepancyInput(**d) for d in data["discrepancies"]],
                    note=data.get("note"),
                )
            except ValidationFailed as error:
                errors = error.fields
            else:
                flash(_("Receipt confirmed."), "success")
                return redirect(url_for("plasma.shipment", shipment_id=found.id))
    return (
        render_template(
            "plasma/shipment.html",
            shipment=found,
            items=plasma.shipment_items(session, found),
            discrepancies=plasma.discrepancies_of(session, found),
            station=session.get(Organisation, found.station_id),
            manufacturer=session.get(Organisation, found.manufacturer_id),
            can_receive=actor.organisation_id == found.manufacturer_id
            and actor.has_role(Role.RECEIVING_CLERK)
            and found.status == "shipped",
            errors=errors,
            form=request.form,
        ),
        422 if errors else 200,
    )
