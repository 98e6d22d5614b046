"""Recording a transfusion from the web (for hospitals without an integrated HIS), reporting
an adverse reaction, and the hospital's reactions. The forms take the API's shapes, so the
same rules answer. Transfusing is destructive: the form asks for confirmation first."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.clinical import messages, rules, schemas
from blood.clinical import service as clinical
from blood.clinical.messages import ClinicalRefusal
from blood.clinical.views import LABELS, bp, local
from blood.errors import NotFound
from blood.pagination import PageRequest
from blood.stock import service as stock
from blood.web import Submission, confirmation_page, confirmed, submit

TEXT_FIELDS = (
    "patient_record_number",
    "patient_sex",
    "patient_birth_year",
    "patient_age_band",
    "department",
    "ward",
    "indication",
    "pre_hb_g_l",
    "pre_platelets_e9_l",
    "pre_pt_ratio",
    "pre_inr",
    "pre_aptt_ratio",
    "pre_fibrinogen_g_l",
    "started_at",
    "ended_at",
    "volume_given_ml",
    "ordering_doctor",
    "emergency_reason",
    "reference",
)
CHECKBOXES = ("surgical", "bleeding", "emergency", "autologous")
# Errors of the API's fields, shown beside the form's field that holds them.
FORM_FIELD_OF = {
    "din": "unit",
    "product_code": "unit",
    "division": "unit",
    "patient_abo": "patient_group",
    "patient_rhd": "patient_group",
}


def _transfusion_form() -> dict[str, Any]:
    """The posted form in the API's shape: the unit chosen, the group split into ABO and
    RhD, one approval per staff id given."""
    form = request.form
    data: dict[str, Any] = {name: form.get(name, "") for name in TEXT_FIELDS}
    data.update({name: "true" if form.get(name) else "false" for name in CHECKBOXES})
    din, _sep, rest = form.get("unit", "").partition("|")
    product, _sep, division = rest.partition("|")
    data.update({"din": din, "product_code": product, "division": division or "00"})
    group = form.get("patient_group", "")
    if group:
        data["patient_abo"], data["patient_rhd"] = group[:-1], group[-1:]
    data["approvals"] = [
        {"tier": tier, "staff_id": form[f"approval_{tier}"].strip()}
        for tier in rules.APPROVAL_TIERS
        if form.get(f"approval_{tier}", "").strip()
    ]
    return data


def _on_form(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    shown: dict[str, list[str]] = {}
    for name, texts in errors.items():
        key = FORM_FIELD_OF.get(name, name)
        if key.startswith("approvals."):
            key = "approvals"
        shown.setdefault(key, []).extend(texts)
    return shown


def _transfusion_question(preview: clinical.TransfusionPreview) -> dict[str, Any]:
    """What the confirmation step asks before a unit is recorded as transfused."""
    flags = [messages.flag_text(f.code, f.facts) for f in preview.flags]
    return {
        "title": _("Record %(unit)s as transfused?", unit=preview.unit.label),
        "message": _(
            "%(volume)d mL given to patient %(patient)s. The unit leaves this hospital's stock "
            "for good: this cannot be undone.",
            volume=preview.volume_given_ml,
            patient=preview.patient_mask,
        )
        + (" " + _("The record will carry these flags for the committee:") if flags else ""),
        "items": flags,
        "button": _("Record the transfusion"),
    }


@bp.route("/transfusions/new", methods=["GET", "POST"])
@login_required
def new_transfusion():
    """Record a transfusion: the form is checked by every rule first (nothing written), the
    user confirms what will be recorded, and only the confirmed form is recorded."""
    actor, session = require_actor(), db.session()
    hospital = clinical.recording_hospital(session=session, actor=actor)
    result: Submission = Submission()
    if request.method == "POST":
        act = clinical.record_transfusion if confirmed() else clinical.preview_transfusion

        def record_it(data: dict):
            data["started_at"] = local(data["started_at"], hospital.timezone)
            data["ended_at"] = local(data["ended_at"], hospital.timezone)
            return act(session=session, actor=actor, data=clinical.TransfusionInput.of(data))

        result = submit(
            schemas.TransfusionFormIn(),
            record_it,
            data=_transfusion_form(),
            refusals=(ClinicalRefusal, NotFound, stock.TransitionRefused, stock.UnitExpired),
            field="unit",
        )
        if result.ok and not confirmed():
            return confirmation_page(
                **_transfusion_question(result.value),
                cancel_url=url_for("clinical.new_transfusion"),
            )
        if result.ok:
            flash(_("Transfusion recorded."), "success")
            return redirect(url_for("clinical.record", transfusion_id=result.value.id))
        if isinstance(result.refusal, ClinicalRefusal) and not result.refusal.code.startswith(
            "unit_"
        ):
            result.errors = {"_form": result.errors.pop("unit")}
    # A link from a unit ("?unit=DIN|PRODUCT|DIVISION") chooses it.
    form = request.form if request.method == "POST" else {"unit": request.args.get("unit", "")}
    return (
        render_template(
            "clinical/transfusion_new.html",
            units=clinical.transfusable_units(session=session, actor=actor),
            errors=_on_form(result.errors),
            form=form,
            groups=stock.GROUPS,
            tier_fields=rules.APPROVAL_TIERS,
            profile=clinical.profile_of(session),
            **LABELS,
        ),
        result.status,
    )


# --- adverse reactions -----------------------------------------------------------------------


@bp.get("/reactions")
@login_required
def reactions():
    actor, session = require_actor(), db.session()
    page = clinical.reactions_page(
        session=session, actor=actor, page=PageRequest.from_args(request.args)
    )
    return render_template(
        "clinical/reactions.html", page=page, can_record=clinical.may_record(actor), **LABELS
    )


@bp.get("/reactions/<int:reaction_id>")
@login_required
def reaction(reaction_id: int):
    actor, session = require_actor(), db.session()
    found = clinical.get_reaction(session=session, actor=actor, reaction_id=reaction_id)
    return render_template(
        "clinical/reaction.html", detail=found, can_record=clinical.may_record(actor), **LABELS
    )


def _reaction_form() -> dict[str, Any]:
    form = request.form
    data: dict[str, Any] = {
        name: form.get(name, "")
        for name in ("category", "severity", "imputability", "outcome", "onset_at", "description")
    }
    data["transfusions"] = [int(i) for i in form.getlist("transfusion") if i.isdigit()][:20]
    din = form.get("din", "").strip()
    if din:
        data["units"] = [{"din": din, "product_code": form.get("product_code", "").strip()}]
    return data


@bp.route("/reactions/new", methods=["GET", "POST"])
@login_required
def new_reaction():
    actor, session = require_actor(), db.session()
    hospital = clinical.recording_hospital(session=session, actor=actor)
    source = request.form.get("transfusion_source") or request.args.get("transfusion", "")
    page = (
        clinical.record_page(session=session, actor=actor, transfusion_id=int(source))
        if source.isdigit() and len(source) < 10
        else None
    )
    result: Submission = Submission()
    if request.method == "POST":

        def report(data: dict):
            data["onset_at"] = local(data["onset_at"], hospital.timezone)
            data["units"] = tuple(clinical.UnitRef(**u) for u in data["units"])
            data["transfusions"] = tuple(data["transfusions"])
            return clinical.record_reaction(
                session=session, actor=actor, data=clinical.ReactionInput(**data)
            )

        result = submit(
            schemas.ReactionFormIn(),
            report,
            data=_reaction_form(),
            refusals=(ClinicalRefusal, NotFound),
        )
        if result.ok:
            flash(_("Adverse reaction reported."), "success")
            if result.value.alert_required:
                flash(_("The supervising authority is alerted at once."), "info")
            return redirect(url_for("clinical.reaction", reaction_id=result.value.id))
    errors = {("din" if k.startswith("units") else k): v for k, v in result.errors.items()}
    return (
        render_template(
            "clinical/reaction_new.html",
            page=page,
            errors=errors,
            form=request.form,
            category_codes=rules.REACTION_CATEGORIES,
            **LABELS,
        ),
        result.status,
    )
