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
from sqlmodel import select
from wtforms import SelectChoice

from blood import db
from blood.accounts import service
from blood.accounts.auth import current_organisation, require_actor
from blood.accounts.forms import LoginForm, PasswordChangeForm, TokenForm, UserForm, apply_errors
from blood.accounts.models import ApiToken, Organisation, User
from blood.accounts.roles import ROLE_LABELS, ROLES_BY_KIND, OrgKind, Role
from blood.accounts.scoping import require_role, require_visible_org, visible_org_ids
from blood.errors import ValidationFailed
from blood.extensions import limiter

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
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 422 if form.errors else 200
    try:
        user = service.authenticate(
            session=db.session(),
            username=form.username.data,
            password=form.password.data,
            max_failures=int(current_app.config["LOGIN_MAX_FAILURES"]),
            lock_minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]),
            remote_addr=request.remote_addr,
        )
    except (service.LoginFailed, service.AccountLocked) as refusal:
        # The failure count and its audit row must survive the error response.
        db.session().commit()
        form.form_errors.append(refusal.message)
        return render_template("accounts/login.html", form=form), refusal.status
    lang = session.get("lang")
    session.clear()
    if user.locale:
        session["lang"] = user.locale
    elif lang:
        session["lang"] = lang
    login_user(user)
    return redirect(_safe_next(url_for("core.home")))


@bp.post("/logout")
@login_required
def logout():
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                session=db.session(),
                actor=require_actor(),
                user=current_user._get_current_object(),
                current_password=form.current_password.data,
                new_password=form.new_password.data,
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            login_user(current_user._get_current_object())  # its id changed with the password
            flash(_("Your password is changed. Other sessions are logged out."), "success")
            return redirect(url_for("core.home"))
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.get("/organisations")
@login_required
def organisations():
    actor = require_actor()
    orgs = service.list_organisations(session=db.session(), actor=actor)
    return render_template("accounts/organisations.html", orgs=orgs)


@bp.get("/organisations/<code>")
@login_required
def organisation(code: str):
    actor = require_actor()
    org = require_visible_org(db.session(), actor, code)
    children = (
        db.session()
        .exec(
            select(Organisation)
            .where(Organisation.parent_id == org.id, Organisation.id.in_(visible_org_ids(actor)))
            .order_by(Organisation.code)
        )
        .all()
    )
    parent = db.session().get(Organisation, org.parent_id) if org.parent_id else None
    return render_template("accounts/organisation.html", org=org, children=children, parent=parent)


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():
    actor = require_actor()
    require_role(actor, Role.ORG_ADMIN)
    org = current_organisation()
    form = UserForm()
    form.roles.choices = [
        SelectChoice(role.value, str(ROLE_LABELS[role]))
        for role in ROLES_BY_KIND[OrgKind(org.kind)]
    ]
    status = 200
    if form.validate_on_submit():
        try:
            user = service.create_user(
                session=db.session(),
                actor=actor,
                organisation=org,
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
                roles=form.roles.data,
                locale=form.locale.data,
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    if form.errors:
        status = 422
    members = (
        db.session()
        .exec(select(User).where(User.organisation_id == org.id).order_by(User.username))
        .all()
    )
    return render_template("accounts/users.html", form=form, members=members), status


@bp.route("/admin/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    actor = require_actor()
    require_role(actor, Role.ORG_ADMIN)
    org = current_organisation()
    form = TokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        try:
            _token, new_token = service.create_token(
                session=db.session(), actor=actor, organisation=org, name=form.name.data
            )
        except ValidationFailed as error:
            apply_errors(form, error)
        else:
            form = TokenForm(formdata=None)
    if form.errors:
        status = 422
    rows = (
        db.session()
        .exec(
            select(ApiToken)
            .where(ApiToken.organisation_id == org.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
        .all()
    )
    return (
        render_template("accounts/tokens.html", form=form, tokens=rows, new_token=new_token),
        status,
    )


@bp.post("/admin/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = service.revoke_token(session=db.session(), actor=require_actor(), token_id=token_id)
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("accounts.tokens"))
