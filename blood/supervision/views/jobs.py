"""The scheduler's job runs, for the instance's administrator: newest first, paged, filtered
by job and outcome. Who may see them is the service's ``may_see_job_runs`` (the menu asks it
too)."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blood import db
from blood.accounts.auth import require_actor
from blood.pagination import PageRequest
from blood.supervision import schemas
from blood.supervision.service import jobs as job_runs
from blood.supervision.views import bp
from blood.template_helpers import NAV_ITEMS, NavItem
from blood.web import load_form

FILTERS = ("job", "outcome")

NAV_ITEMS.append(
    NavItem("supervision.jobs", _l("Scheduled jobs"), visible=job_runs.may_see_job_runs)
)


@bp.get("/jobs")
@login_required
def jobs():
    given = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    data, errors = load_form(schemas.JobRunQuery(), given)
    data = data or {}
    found = job_runs.list_job_runs(
        session=db.session(),
        actor=require_actor(),
        page=PageRequest.from_args(request.args),
        job=data.get("job"),
        outcome=data.get("outcome"),
    )
    return (
        render_template(
            "supervision/jobs.html",
            found=found,
            filters={k: v for k, v in data.items() if v},
            errors=errors,
            job_choices=list(job_runs.JOB_NAMES.items()),
            outcome_choices=list(job_runs.OUTCOME_WORDS.items()),
        ),
        422 if errors else 200,
    )
