"""Log-in, log-out, password change; the jurisdiction tree; users and API tokens of an org."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from blood import db
from blood.accounts import schemas, service
from blood.accounts.auth import SESSION_TOKEN, require_actor
from blood.db import utcnow
from blood.extensions import limiter
from blood.pagination import PageRequest, page_of
from blood.web import submit

bp = Blueprint("accounts", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    if request.method == "GET":
        return render_template("accounts/login.html", errors={}, form={})
    result = submit(
        schemas.LoginIn(),
        lambda data: service.authenticate(
            session=db.session(), remote_addr=request.remote_addr, **data
        ),
        refusals=(service.LoginFailed, service.LoginThrottled, service.AccountLocked),
    )
    if not result.ok:
        status = result.status
        if result.refusal is not None:
            # The failure count and its audit row must survive the error response.
            db.session().commit()
            status = result.refusal.status
        form = {"username": request.form.get("username", "")}
        return render_template("accounts/login.html", errors=result.errors, form=form), status
    lang = session.get("lang")
    session.clear()
    if result.value.locale:
        session["lang"] = result.value.locale
    elif lang:
        session["lang"] = lang
    session[SESSION_TOKEN] = service.start_session(session=db.session(), user=result.value)
    login_user(result.value)
    return redirect(_safe_next(url_for("core.home")))


@bp.post("/logout")
@login_required
def logout():
    lang = session.get("lang")
    service.end_session(session=db.session(), token=session.get(SESSION_TOKEN))
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    if request.method == "GET":
        return render_template("accounts/password.html", errors={})
    user = current_user._get_current_object()
    result = submit(
        schemas.PasswordChangeIn(),
        lambda data: service.change_password(
            session=db.session(),
            actor=require_actor(),
            user=user,
            keep_session=session.get(SESSION_TOKEN),
            **data,
        ),
    )
    if not result.ok:
        return render_template("accounts/password.html", errors=result.errors), result.status
    login_user(user)  # its id changed with the password
    flash(_("Your password is changed. Other sessions are logged out."), "success")
    return redirect(url_for("core.home"))


@bp.get("/organisations")
@login_required
def organisations():
    orgs = service.list_organisations(session=db.session(), actor=require_actor())
    page = page_of(orgs, PageRequest.from_args(request.args, size=100))
    return render_template("accounts/organisations.html", orgs=page.items, page=page)


@bp.get("/organisations/<code>")
@login_required
def organisation(code: str):
    page = service.organisation_page(session=db.session(), actor=require_actor(), code=code)
    return render_template(
        "accounts/organisation.html",
        org=page.organisation,
        children=page.children,
        parent=page.parent,
    )


def _users_page(errors: dict, form, status: int = 200):
    actor = require_actor()
    return (
        render_template(
            "accounts/users.html",
            members=service.list_users(
                session=db.session(), actor=actor, page=PageRequest.from_args(request.args)
            ),
            now_utc=utcnow(),
            roles=service.assignable_roles(actor),
            errors=errors,
            form=form,
        ),
        status,
    )


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    actor = require_actor()
    if request.method == "GET":
        return _users_page({}, {})
    form = request.form.to_dict()
    form["roles"] = request.form.getlist("roles")
    result = submit(
        schemas.UserIn(),
        lambda data: service.create_user(
            session=db.session(),
            actor=actor,
            organisation=service.acting_organisation_of(session=db.session(), actor=actor),
            **data,
        ),
        data=form,
    )
    if not result.ok:
        return _users_page(result.errors, request.form, result.status)
    flash(_("User %(name)s created.", name=result.value.username), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<int:user_id>/lock")
@login_required
def lock_user(user_id: int):
    locked = request.form.get("locked") == "1"
    user = service.set_account_lock(
        session=db.session(), actor=require_actor(), user_id=user_id, locked=locked
    )
    if locked:
        flash(
            _("%(name)s is locked out; their sessions have ended.", name=user.username), "success"
        )
    else:
        flash(_("%(name)s may log in again.", name=user.username), "success")
    return redirect(url_for("accounts.users"))


# --- one user's administration ------------------------------------------------------------

# Pages a user who must change their password may still open.
_OPEN_WHILE_MUST_CHANGE = {
    "accounts.change_password",
    "accounts.logout",
    "core.switch_language",
    "core.healthz",
    "core.readyz",
    "static",
}


@bp.before_app_request
def _must_change_password():
    """After an administrator's reset, every page leads to the change-password form."""
    if (
        current_user.is_authenticated
        and getattr(current_user, "must_change_password", False)
        and request.endpoint not in _OPEN_WHILE_MUST_CHANGE
        and request.blueprint != "api"
        and not (request.endpoint or "").startswith("api")
    ):
        flash(_("Your administrator reset your password: choose a new one."), "info")
        return redirect(url_for("accounts.change_password"))
    return None


def _user_page(user_id: int, errors: dict | None = None, form=None, status: int = 200):
    actor = require_actor()
    member = service.member(session=db.session(), actor=actor, user_id=user_id)
    return (
        render_template(
            "accounts/user.html",
            member=member,
            roles=service.assignable_roles(actor),
            now_utc=utcnow(),
            errors=errors or {},
            form=form or {},
            is_self=actor.kind == "user" and actor.id == member.id,
        ),
        status,
    )


@bp.get("/admin/users/<int:user_id>")
@login_required
def user(user_id: int):
    return _user_page(user_id)


@bp.post("/admin/users/<int:user_id>/edit")
@login_required
def edit_user(user_id: int):
    result = submit(
        schemas.UserEditIn(),
        lambda data: service.update_user(
            session=db.session(), actor=require_actor(), user_id=user_id, **data
        ),
    )
    if not result.ok:
        return _user_page(user_id, result.errors, request.form, result.status)
    flash(_("%(name)s is changed.", name=result.value.username), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/roles")
@login_required
def user_roles(user_id: int):
    result = submit(
        schemas.UserRolesIn(),
        lambda data: service.set_roles(
            session=db.session(), actor=require_actor(), user_id=user_id, **data
        ),
        data={"roles": request.form.getlist("roles")},
    )
    if not result.ok:
        return _user_page(user_id, result.errors, request.form, result.status)
    flash(_("The roles of %(name)s are changed.", name=result.value.username), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/active")
@login_required
def user_active(user_id: int):
    active = request.form.get("active") == "1"
    user = service.set_user_active(
        session=db.session(), actor=require_actor(), user_id=user_id, active=active
    )
    if active:
        flash(_("%(name)s may log in again.", name=user.username), "success")
    else:
        flash(_("%(name)s is disabled; their sessions have ended.", name=user.username), "success")
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.post("/admin/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    result = submit(
        schemas.PasswordResetIn(),
        lambda data: service.reset_password(
            session=db.session(), actor=require_actor(), user_id=user_id, **data
        ),
    )
    if not result.ok:
        return _user_page(user_id, result.errors, {}, result.status)
    flash(
        _(
            "The password of %(name)s is reset; they must change it at their next log-in.",
            name=result.value.username,
        ),
        "success",
    )
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.route("/admin/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    actor = require_actor()
    result = None
    if request.method == "POST":
        result = submit(
            schemas.TokenIn(),
            lambda data: service.create_token(
                session=db.session(),
                actor=actor,
                organisation=service.acting_organisation_of(session=db.session(), actor=actor),
                **data,
            ),
        )
    errors = result.errors if result is not None else {}
    new_token = result.value[1] if result is not None and result.ok else None
    return (
        render_template(
            "accounts/tokens.html",
            tokens=service.list_tokens(
                session=db.session(), actor=actor, page=PageRequest.from_args(request.args)
            ),
            new_token=new_token,
            errors=errors,
            form=request.form if errors else {},
        ),
        422 if errors else 200,
    )


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = service.revoke_token(session=db.session(), actor=require_actor(), token_id=token_id)
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"))
