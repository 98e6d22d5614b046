"""The donor registry's web pages: find a donor, register one, the donor's page with the
shared deferrals. Plasma stations and blood centres (whole-blood donors) use the same pages;
their addresses stay under ``/station/``, where bookmarks and scanners point.

Views parse, call one service function and render; every rule lives in the services. Other
packages add their part of a donor's record to the donor page through
``blood.donors.hooks.DONOR_PAGE_SECTIONS`` (the plasma station adds its visits and units), so
this package imports none of them.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.accounts.roles import OrgKind
from blood.donors import schemas
from blood.donors import service as donors
from blood.donors.hooks import DONOR_PAGE_SECTIONS
from blood.donors.messages import DONATION_KIND_LABELS, describe
from blood.errors import Conflict, NotFound
from blood.inputs import ABO_GROUPS
from blood.listing import load_list_query
from blood.web import (
    CONFIRMED,
    FIELD_LABELS,
    confirmation_page,
    confirmed,
    flash_errors,
    load_form,
    submit,
)

bp = Blueprint("donors", __name__, url_prefix="/station")

# The fields of the registry's forms, as error summaries name them.
for _name, _label in {
    "resident_id": _l("Resident ID number"),
    "name": _l("Name (as on the ID card)"),
    "sex": _l("Sex"),
    "birth_date": _l("Birth date"),
    "household_region": _l("Household registration"),
    "phone": _l("Phone"),
    "address": _l("Address"),
    "abo": _l("ABO group"),
    "rhd": _l("RhD"),
    "reason_code": _l("Reason"),
    "permanent": _l("Permanent"),
    "ends_on": _l("Until (temporary)"),
    "note": _l("Note"),
    "reason": _l("Why lift it?"),
}.items():
    FIELD_LABELS.setdefault(_name, _label)


def _posted() -> dict:
    """The posted form without the confirmation step's answer (``blood.web.confirmed``)."""
    return {k: v for k, v in request.form.items() if k != CONFIRMED}


def _collecting_actor():
    """The registry's pages serve plasma stations and blood centres, nobody else."""
    actor = require_actor()
    donors.require_collecting_org(db.session(), actor)
    return actor


def _front_page(actor) -> str:
    """Where a refused look-up goes back to: the station's front desk, the centre's
    collection page."""
    if actor.organisation_kind == OrgKind.BLOOD_CENTRE:
        return url_for("stock.collect")
    return url_for("plasma.desk")


@bp.get("/donors")
@login_required
def find():
    actor = _collecting_actor()
    query = request.args.get("q", "")
    try:
        donor = donors.find_donor(session=db.session(), actor=actor, query=query)
    except NotFound:
        flash(_("No donor with this resident ID or card number is registered here."), "info")
        return redirect(_front_page(actor))
    except donors.RegisteredElsewhere as elsewhere:
        flash(elsewhere.message, "info")
        return redirect(_front_page(actor))
    return redirect(url_for("donors.donor", donor_id=donor.id))


@bp.get("/donors/list")
@login_required
def index():
    """The donor list: search by card number, resident ID, phone or name; filters, sort and
    page in the URL. A bad parameter is shown beside its field (422)."""
    actor = _collecting_actor()
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.DonorListIn(), args)
    page = donors.list_donors(
        session=db.session(), actor=actor, query=donors.DonorListQuery(**params)
    )
    page_html = render_template(
        "donors/list.html",
        page=page,
        args=args,
        errors=errors,
        abo_options=[(g, g) for g in ABO_GROUPS],
        rhd_options=[("+", _("RhD positive")), ("-", _("RhD negative"))],
    )
    return page_html, 422 if errors else 200


@bp.get("/deferrals")
@login_required
def deferrals():
    """Deferrals recorded here: by card number or name, state, reason and start dates."""
    actor = _collecting_actor()
    session = db.session()
    args = {k: v for k, v in request.args.items() if v != ""}
    params, errors = load_list_query(schemas.DeferralListIn(), args)
    page = donors.list_deferrals(
        session=session,
        actor=actor,
        query=donors.DeferralListQuery(**params),
        today=donors.local_today(donors.require_collecting_org(session, actor)),
    )
    body = render_template(
        "donors/deferrals.html",
        page=page,
        args=args,
        errors=errors,
        reasons=donors.DEFERRAL_REASONS,
    )
    return body, 422 if errors else 200


@bp.route("/donors/new", methods=["GET", "POST"])
@login_required
def register():
    actor = _collecting_actor()
    if request.method == "GET":
        return render_template(
            "donors/register.html",
            form=request.form,
            errors={},
            register=donors.REGISTER.for_actor(actor),
        )
    result = submit(
        schemas.DonorRegistrationIn(),
        lambda data: donors.register_donor(
            session=db.session(), actor=actor, data=donors.DonorRegistration(**data)
        ),
        refusals=(donors.AlreadyRegistered, donors.RegisteredElsewhere),
        field="resident_id",
    )
    if not result.ok:
        return (
            render_template(
                "donors/register.html",
                form=request.form,
                errors=result.errors,
                register=donors.REGISTER.for_actor(actor),
            ),
            result.status,
        )
    flash(_("Registered: card number %(card)s.", card=result.value.card_number), "success")
    return redirect(url_for("donors.donor", donor_id=result.value.id))


@bp.get("/donors/<int:donor_id>")
@login_required
def donor(donor_id: int):
    return _donor_page(donor_id, look_up_contact=False)


@bp.post("/donors/<int:donor_id>/contact")
@login_required
def donor_contact(donor_id: int):
    """The page again, with the phone and address in clear: one audited look-up."""
    return _donor_page(donor_id, look_up_contact=True)


def _donor_page(donor_id: int, *, look_up_contact: bool):
    actor = require_actor()
    session = db.session()
    overview = donors.donor_overview(
        session=session, actor=actor, donor_id=donor_id, look_up_contact=look_up_contact
    )
    sections = [
        (section.template, section.load(session=session, actor=actor, donor=overview.donor))
        for section in DONOR_PAGE_SECTIONS
    ]
    return render_template(
        "donors/donor.html",
        donor=overview.donor,
        contact=overview.contact,
        may_look_up_contact=overview.may_look_up_contact,
        deferrals=overview.deferrals,
        history_reasons=overview.history.reasons,
        next_eligible_on=overview.history.next_eligible_on,
        age=overview.age,
        elsewhere=overview.elsewhere,
        kind_labels=DONATION_KIND_LABELS,
        sections=sections,
        deferral_reasons=donors.DEFERRAL_REASONS,
        may_lift=lambda deferral: donors.lift_refusal(session, actor, deferral) is None,
        describe=describe,
        errors={},
        form={},
    )


@bp.post("/donors/<int:donor_id>/deferrals")
@login_required
def defer(donor_id: int):
    actor = _collecting_actor()
    back = url_for("donors.donor", donor_id=donor_id)
    data, errors = load_form(schemas.DeferralIn(), _posted())
    if errors:
        flash_errors(errors)
        return redirect(back), 303
    if data.get("permanent") and not confirmed():
        # A permanent deferral is final: it can never be lifted.
        reason = donors.DEFERRAL_REASONS.get(data["reason_code"], "")
        return confirmation_page(
            title=_("Record a permanent deferral?"),
            message=_(
                "A permanent deferral cannot be lifted: this donor will never donate again, "
                "at any station or blood centre."
            ),
            items=[str(text) for text in (reason, data.get("note")) if text],
            cancel_url=back,
            button=_("Record the permanent deferral"),
        )
    result = submit(
        None,
        lambda _data: donors.record_deferral(
            session=db.session(), actor=actor, donor_id=donor_id, **data
        ),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(back), 303
    flash(_("Deferral recorded; it applies at every station."), "success")
    return redirect(back)


@bp.post("/deferrals/<int:deferral_id>/lift")
@login_required
def lift(deferral_id: int):
    actor = _collecting_actor()
    data, errors = load_form(schemas.LiftDeferralIn(), _posted())
    if errors:
        flash(_("Say why the deferral is lifted."), "error")
        return redirect(request.referrer or _front_page(actor)), 303
    if not confirmed():
        deferral = donors.get_deferral(session=db.session(), actor=actor, deferral_id=deferral_id)
        reason = donors.DEFERRAL_REASONS.get(deferral.reason_code, "")
        until = (
            _("Until %(date)s", date=format_date(deferral.ends_on, "medium"))
            if deferral.ends_on
            else ""
        )
        return confirmation_page(
            title=_("Lift this deferral?"),
            message=_(
                "Once lifted, the deferral no longer stops this donor at any station or "
                "blood centre. This cannot be undone."
            ),
            items=[
                str(text) for text in (reason, until, _("Why: %(why)s", why=data["reason"])) if text
            ],
            cancel_url=url_for("donors.donor", donor_id=deferral.donor_id),
            button=_("Lift the deferral"),
        )
    result = submit(
        None,
        lambda _data: donors.lift_deferral(
            session=db.session(), actor=actor, deferral_id=deferral_id, reason=data["reason"]
        ),
        refusals=(donors.PermanentDeferral, donors.NotYourDeferral, Conflict),
    )
    if not result.ok:
        flash_errors(result.errors)
        return redirect(request.referrer or _front_page(actor)), 303
    flash(_("Deferral lifted."), "success")
    return redirect(url_for("donors.donor", donor_id=result.value.donor_id))
