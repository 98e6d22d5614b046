"""blood: blood-management supervision (donors, plasma stations, stock, clinical use, oversight)."""

from __future__ import annotations

import os
import re
import uuid

from flask import Flask, abort, g, request

__all__ = ["create_app"]

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
# Swagger UI sets inline styles; its page is static documentation.
_CSP_DOCS = _CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, database, extensions, blueprints, error handlers, CLI."""
    instance_path = os.environ.get("BLOOD_INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)

    from blood import config

    config.load(app, test_config)
    app.testing = app.config["ENV"] == "testing"
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # see _protect_from_csrf

    from blood import db, inputs, validation_messages
    from blood.settings import Settings

    validation_messages.install()
    inputs.install_converters(app)
    settings = Settings.from_config(app.config)
    _check_rule_profiles(settings)
    app.extensions["blood.settings"] = settings
    db.init_app(app, settings)
    _init_extensions(app)
    _register_blueprints(app)
    _register_request_hooks(app)

    from blood.errors import register_error_handlers

    register_error_handlers(app)

    from blood.cli import register_cli

    register_cli(app)
    return app


def _check_rule_profiles(settings) -> None:
    """A mistyped RULE_PROFILE_OVERRIDES fails when the app starts, not at a donor's visit."""
    from blood.config import ConfigurationError
    from blood.donors.service import check_rule_profile_overrides

    try:
        check_rule_profile_overrides(settings.rule_profile_overrides)
    except ValueError as mistake:
        raise ConfigurationError(f"RULE_PROFILE_OVERRIDES: {mistake}") from None


def _init_extensions(app: Flask) -> None:
    from blood.accounts import auth
    from blood.extensions import api, babel, csrf, limiter, select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    api.init_app(app)

    import swagger_ui_bundle
    from flask import Blueprint

    # Swagger UI's files, served locally: hospital networks are often closed.
    docs_static = Blueprint(
        "api_docs_static",
        __name__,
        static_folder=swagger_ui_bundle.swagger_ui_path,
        static_url_path="/api/v1/docs/static",
    )
    app.register_blueprint(docs_static)

    from blood.template_helpers import register_template_helpers

    register_template_helpers(app)


def _register_blueprints(app: Flask) -> None:
    from blood.accounts.api import blp as accounts_api
    from blood.accounts.views import bp as accounts_views
    from blood.analytics.jobs import register as register_analytics_jobs
    from blood.analytics.views import bp as analytics_views
    from blood.clinical.api import blp as clinical_api
    from blood.clinical.views import bp as clinical_views
    from blood.core.views import bp as core_views
    from blood.donors.api import blp as donors_api
    from blood.donors.views import bp as donors_views
    from blood.extensions import api
    from blood.plasma.api import blp as plasma_api
    from blood.plasma.views import bp as plasma_views
    from blood.stock.api import blp as stock_api
    from blood.stock.views import bp as stock_views
    from blood.supervision.api import blp as supervision_api
    from blood.supervision.api_inbound import blp as supervision_inbound_api
    from blood.supervision.subscribers import subscribe_all as subscribe_supervision
    from blood.supervision.views import bp as supervision_views
    from blood.trace.api import blp as trace_api
    from blood.trace.subscribers import subscribe_all as subscribe_trace
    from blood.trace.views import bp as trace_views

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "Organisation API token"}
    )
    for blueprint in (
        accounts_api,
        donors_api,
        plasma_api,
        stock_api,
        clinical_api,
        supervision_api,
        supervision_inbound_api,
        trace_api,
    ):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    subscribe_supervision()
    subscribe_trace()
    register_analytics_jobs()
    app.register_blueprint(core_views)
    app.register_blueprint(accounts_views)
    app.register_blueprint(donors_views)
    app.register_blueprint(plasma_views)
    app.register_blueprint(stock_views)
    app.register_blueprint(clinical_views)
    app.register_blueprint(supervision_views)
    app.register_blueprint(trace_views)
    app.register_blueprint(analytics_views)


def _register_request_hooks(app: Flask) -> None:
    from flask_login import current_user

    from blood.accounts.auth import bearer_token
    from blood.errors import Unauthorized
    from blood.extensions import csrf

    header = app.config["REQUEST_ID_HEADER"]

    @app.before_request
    def _assign_request_id():
        given = request.headers.get(header, "")
        g.request_id = given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex

    @app.before_request
    def _refuse_oversized_body():
        # Werkzeug refuses only when the body is read; refuse up front, whatever the route.
        limit = app.config["MAX_CONTENT_LENGTH"]
        if limit and request.content_length and request.content_length > limit:
            abort(413)

    from blood.inputs import guard_request

    app.before_request(guard_request)

    @app.before_request
    def _protect_from_csrf():
        # Forms and cookie-authenticated API calls need the CSRF token; a bearer token is
        # not sent by the browser on its own, so token-authenticated calls are exempt. An API
        # call with neither is unauthenticated (401 with WWW-Authenticate), not a stale form.
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return
        if request.path in idempotency.SIGNED_PATHS:
            return  # authenticated by its signature (blood.supervision.api_inbound)
        if request.path.startswith("/api/"):
            if bearer_token() is not None:
                return
            if not current_user.is_authenticated:
                raise Unauthorized()
        csrf.protect()

    from blood import idempotency

    idempotency.init_app(app)

    @app.after_request
    def _security_headers(response):
        response.headers[header] = g.get("request_id", "")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), microphone=(), geolocation=()"
        )
        csp = _CSP_DOCS if request.path.startswith("/api/v1/docs") else _CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if not request.path.startswith(("/static/", "/api/v1/docs")):
            # Pages and API answers carry health data: keep them out of shared caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
