"""Extension singletons, bound to an app in ``create_app`` with ``init_app``."""

from __future__ import annotations

import re

from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_smorest import Api
from flask_wtf.csrf import CSRFProtect

from blood.errors import ErrorOut, http_error_response
from blood.inputs import QUERY_PARAMETERS, blank_query_is_not_given


class BloodApi(Api):
    """flask-smorest, with errors in blood's one JSON shape (see ``blood.errors``),
    documented as they are sent."""

    ERROR_SCHEMA = ErrorOut

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_parameter_attribute_function(blank_query_is_not_given)

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        app.extensions[QUERY_PARAMETERS] = _documented_query(self.spec)

    def _register_pagination_header(self):
        # A header's value is a string; ours carries JSON (flask-smorest documents an object).
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Pagination metadata as a JSON object: total, total_pages, "
                "first_page, last_page, page, previous_page, next_page",
                "schema": {"type": "string"},
            },
            lazy=True,
        )

    def handle_http_exception(self, error):
        return http_error_response(error)


def _documented_query(spec):
    """(Flask rule, method) → the names of the query parameters the document gives that
    operation (None: not an operation of the document), read from the document once (on the
    first request: blueprints are registered after ``init_app``)."""
    tables: list[dict[tuple[str, str], frozenset[str]]] = []

    def read() -> dict[tuple[str, str], frozenset[str]]:
        table = {}
        for path, item in spec.to_dict().get("paths", {}).items():
            shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
            for verb, operation in item.items():
                if verb == "parameters" or not isinstance(operation, dict):
                    continue
                table[(path, verb.upper())] = frozenset(
                    p["name"]
                    for p in shared + operation.get("parameters", [])
                    if isinstance(p, dict) and p.get("in") == "query"
                )
        return table

    def documented(rule: str, method: str) -> frozenset[str] | None:
        if not tables:
            tables.append(read())
        return tables[0].get((_RULE_ARGUMENT.sub(r"{\1}", rule), method))

    return documented


_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def select_locale() -> str:
    """The user's saved choice, else the page switch, else Accept-Language; CLI: default."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    reachable = not g.get("database_unavailable")
    if (
        reachable
        and current_user
        and current_user.is_authenticated
        and current_user.locale in languages
    ):
        return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return "zh_CN" if best.startswith("zh") else best


def select_timezone() -> str | None:
    """Times are shown in the time zone of the user's organisation."""
    from blood.accounts.auth import current_organisation

    if not has_request_context() or g.get("database_unavailable"):
        return None
    org = current_organisation()
    return org.timezone if org is not None else None


babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
api = BloodApi()
