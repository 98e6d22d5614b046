"""The register (filters, and a patient found by their record number: a POST, so the number
never reaches a URL or an access log), a transfusion's page, its outcome and the committee's
review."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.clinical import rules, schemas
from blood.clinical import service as clinical
from blood.clinical.messages import ClinicalRefusal
from blood.clinical.views import LABELS, bp, local
from blood.errors import Conflict
from blood.pagination import PageRequest
from blood.web import Submission, load_form, submit


def _filters() -> tuple[clinical.RegisterFilter, dict, dict]:
    """The register's filters from the query string: (filters, the values to keep in the
    pager's links, errors)."""
    given = {k: v for k, v in request.args.items() if v.strip()}
    data, errors = load_form(schemas.RegisterQuery(), given)
    if errors:
        return clinical.RegisterFilter(), {}, errors
    data.pop("page", None)
    kept = {k: v for k, v in given.items() if k != "page"}
    return clinical.RegisterFilter(**data), kept, {}


@bp.route("/transfusions", methods=["GET", "POST"])
@login_required
def register():
    actor, session = require_actor(), db.session()
    filters, kept, errors = _filters()
    found: Submission = Submission()
    if request.method == "POST":
        found = submit(
            schemas.PatientSearchIn(),
            lambda data: clinical.find_patient(
                session=session,
                actor=actor,
                patient_record_number=data["patient_record_number"],
            ),
            data={"patient_record_number": request.form.get("patient_record_number", "")},
        )
    page = clinical.register(
        session=session, actor=actor, filters=filters, page=PageRequest.from_args(request.args)
    )
    return (
        render_template(
            "clinical/register.html",
            page=page,
            filters=kept,
            errors={**errors, **found.errors},
            patient=found.value if request.method == "POST" and found.ok else None,
            departments=clinical.departments(session=session, actor=actor),
            flag_codes=rules.FLAG_CODES,
            can_record=clinical.may_record(actor),
            **LABELS,
        ),
        422 if errors or found.errors else 200,
    )


def _record(transfusion_id: int, *, errors=None, form=None, status: int = 200):
    actor, session = require_actor(), db.session()
    page = clinical.record_page(session=session, actor=actor, transfusion_id=transfusion_id)
    return (
        render_template(
            "clinical/record.html",
            page=page,
            detail=page.detail,
            t=page.detail.transfusion,
            errors=errors or {},
            form=form or {},
            measures=clinical.MEASURES[page.detail.transfusion.component],
            profile=clinical.profile_of(session),
            can_record=clinical.may_record(actor),
            **LABELS,
        ),
        status,
    )


@bp.get("/transfusions/<int:transfusion_id>")
@login_required
def record(transfusion_id: int):
    return _record(transfusion_id)


@bp.post("/transfusions/<int:transfusion_id>/outcome")
@login_required
def outcome(transfusion_id: int):
    actor, session = require_actor(), db.session()
    hospital = clinical.acting_hospital(session=session, actor=actor)

    def record_it(data: dict):
        data["measured_at"] = local(data["measured_at"], hospital.timezone)
        return clinical.record_outcome(
            session=session,
            actor=actor,
            transfusion_id=transfusion_id,
            data=clinical.OutcomeInput(**data),
        )

    result = submit(schemas.OutcomeFormIn(), record_it, refusals=(ClinicalRefusal,))
    if not result.ok:
        return _record(transfusion_id, errors=result.errors, form=request.form, status=422)
    if result.value.ineffective:
        flash(_("Outcome recorded: the transfusion was ineffective; it is flagged for review."))
    else:
        flash(_("Outcome recorded."), "success")
    return redirect(url_for("clinical.record", transfusion_id=transfusion_id))


@bp.post("/transfusions/<int:transfusion_id>/review")
@login_required
def review(transfusion_id: int):
    actor, session = require_actor(), db.session()
    result = submit(
        schemas.ReviewIn(),
        lambda data: clinical.review_transfusion(
            session=session, actor=actor, transfusion_id=transfusion_id, comment=data.get("comment")
        ),
        data={"comment": request.form.get("comment", "")},
        refusals=(Conflict,),
    )
    back = request.form.get("back") == "review"
    if not result.ok:
        if back:
            for messages in result.errors.values():
                for message in messages:
                    flash(message, "error")
            return redirect(url_for("clinical.committee")), 303
        return _record(transfusion_id, errors=result.errors, form=request.form, status=422)
    flash(_("Marked as reviewed."), "success")
    if back:
        return redirect(url_for("clinical.committee"))
    return redirect(url_for("clinical.record", transfusion_id=transfusion_id))
