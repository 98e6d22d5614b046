"""Domain errors, and the one place that maps them (and every HTTP error) to responses.

Services raise these with the facts of the case; they know nothing of HTTP. Here they become
JSON under ``/api`` (one stable shape) and an HTML page elsewhere.

API error body, whatever the status::

    {"code": 404, "status": "Not Found", "error": "not_found",
     "message": "…", "errors": {…field errors, when any…}, "request_id": "…"}
"""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the operation. ``facts`` fill the message template."""

    status: int = 400
    code: str = "bad_request"
    template: Any = _l("The request could not be carried out.")

    def __init__(self, template: Any = None, /, **facts: Any):
        super().__init__(self.code)
        if template is not None:
            self.template = template
        self.facts = facts

    @property
    def message(self) -> str:
        return str(self.template) % self.facts if self.facts else str(self.template)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(DomainError):
    """Also used for things outside the caller's scope: we do not reveal that they exist."""

    status = 404
    code = "not_found"
    template = _l("Not found.")


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    template = _l("Authentication is required: log in, or send a valid bearer token.")


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    template = _l("You are not allowed to do this.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    template = _l("This conflicts with the current state of the record.")


class ValidationFailed(DomainError):
    """Input that parsed but breaks a rule; ``fields`` maps field name to messages."""

    status = 422
    code = "validation_failed"
    template = _l("Some fields are not valid.")

    def __init__(
        self,
        fields: dict[str, list[str]],
        template: Any = None,
        /,
        *,
        location: str = "json",
        **facts: Any,
    ):
        super().__init__(template, **facts)
        self.fields = fields
        self.location = location  # where the fields were: json, query, form, path

    def __str__(self) -> str:
        return f"{self.code}: {self.fields}"


# Stable machine-readable names for plain HTTP statuses.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "database_unavailable",
}

_HTTP_MESSAGES = {
    400: _l("The request is malformed."),
    401: _l("Authentication is required: log in, or send a valid bearer token."),
    403: _l("You are not allowed to do this."),
    404: _l("Not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state of the record."),
    413: _l("The request body is too large."),
    415: _l("Send the body as JSON (Content-Type: application/json)."),
    422: _l("Some fields are not valid."),
    429: _l("Too many requests; wait a moment and try again."),
    500: _l("Internal error: the request was not carried out. Quote the request id to support."),
    503: _l(
        "The database cannot be reached: nothing was changed. Try again in a minute; if it "
        "persists, tell your system administrator."
    ),
}

# How long a client should wait before retrying while the database is unreachable.
RETRY_AFTER_SECONDS = 30

# The database is unreachable, restarting or refused the connection: not the request's fault,
# and nothing was written (the request's transaction is gone with the connection).
DATABASE_UNAVAILABLE = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.DisconnectionError,
    sa.exc.TimeoutError,
)


class ErrorOut(ma.Schema):
    """The one error shape of the API, whatever the status (documented as it is sent)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status name"})
    error = ma.fields.String(
        required=True,
        metadata={"description": "Stable machine-readable code, e.g. not_found, unit_expired"},
    )
    message = ma.fields.String(
        required=True, metadata={"description": "What happened, in the caller's language"}
    )
    request_id = ma.fields.String(
        allow_none=True, metadata={"description": "Quote it to support; echoes X-Request-ID"}
    )
    errors = ma.fields.Dict(
        metadata={
            "description": "Field errors by location (json, query, …), then by field path",
        }
    )
    facts = ma.fields.Dict(
        metadata={"description": "The figures of a refusal (unit, state, dates …), when any"}
    )


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(status: int, error: str, message: str, errors: dict | None = None) -> dict[str, Any]:
    from werkzeug.http import HTTP_STATUS_CODES

    body: dict[str, Any] = {
        "code": status,
        "status": HTTP_STATUS_CODES.get(status, "Error"),
        "error": error,
        "message": message,
        "request_id": g.get("request_id"),
    }
    if errors:
        body["errors"] = errors
    return body


def http_error_response(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message")
    if message is None:
        message = str(_HTTP_MESSAGES.get(status, error.description or error.name))
    headers = dict(data.get("headers") or {})
    if isinstance(error, CSRFError):
        code = "csrf_failed"
        message = str(_l("The form expired or was not sent by this site; reload and try again."))
    else:
        code = _HTTP_CODES.get(status, "http_error")
    if wants_json():
        response = jsonify(error_body(status, code, message, errors))
        response.status_code = status
        for name, value in headers.items():
            response.headers[name] = value
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="blood"'
        return response
    return render_template("error.html", status=status, message=message), status, headers


def domain_error_response(error: DomainError):
    fields = getattr(error, "fields", None)
    if wants_json():
        location = getattr(error, "location", "json")
        body = error_body(error.status, error.code, error.message, fields and {location: fields})
        if error.facts:
            body["facts"] = {k: v for k, v in error.facts.items() if _json_scalar(v)}
        response = jsonify(body)
        response.status_code = error.status
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="blood"'
        return response
    # A refusal for want of a role names the role(s) that may do it (``require_role``).
    needed = error.facts.get("needed") if isinstance(error, Forbidden) else None
    return (
        render_template(
            "error.html", status=error.status, message=error.message, needed_roles=needed or ()
        ),
        error.status,
    )


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def database_unavailable_response(error: Exception):
    """503 with Retry-After. The page needs no database: the template globals and the
    language choice skip everything that would query it (``g.database_unavailable``)."""
    log.error("database unavailable (request id %s): %s", g.get("request_id"), error)
    g.database_unavailable = True
    g.pop("actor", None)
    # Flask-Login's template globals would load the user from the database again.
    login_manager = getattr(current_app, "login_manager", None)
    if login_manager is not None:
        g._login_user = login_manager.anonymous_user()
    status, message = 503, str(_HTTP_MESSAGES[503])
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        response = jsonify(error_body(status, _HTTP_CODES[status], message))
        response.status_code = status
        response.headers.update(headers)
        return response
    return make_response(render_template("unavailable.html", message=message), status, headers)


def unexpected_error_response(error: Exception):
    log.exception("unhandled error (request id %s)", g.get("request_id"))
    return http_error_response(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(DomainError, domain_error_response)
    for kind in DATABASE_UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable_response)
    app.register_error_handler(Exception, unexpected_error_response)
