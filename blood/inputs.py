"""The input layer: the base of every schema that reads what a person or a system sends.

The same schemas serve the web forms and the API. Web forms post strings, so a blank field is
"not given"; unknown fields are refused, never ignored. Shared field validators for the
domain's own codes live here too, so every package spells them the same way.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate
from werkzeug.routing import IntegerConverter

from blood import validation_messages
from blood.errors import DomainError, ValidationFailed
from blood.validation_messages import between, length, one_of, pattern

# marshmallow fixes a field's messages when the field is built: every schema imports this
# module, so the translated messages are in place before any schema class exists.
validation_messages.install()

ABO_GROUPS = ("A", "B", "O", "AB")
RHD_TYPES = ("+", "-")

ABO = one_of(ABO_GROUPS)
RHD = one_of(RHD_TYPES)
DIVISION = pattern(r"^\d{6}$", _l("A division code is 6 digits (GB/T 2260)."))


def code(description: str, **options) -> fields.String:
    """An organisation's or a record's code (ORG-CODE, a dispatch or order number)."""
    return fields.String(validate=length(1, 32), metadata={"description": description}, **options)


def din_text(**options) -> fields.String:
    """A DIN as scanned or typed: 13 characters, 14 with its check character, 16 as a
    barcode (``=``, the DIN, the 2-digit flag), with room for spaces and dashes."""
    return fields.String(
        validate=length(13, 24),
        metadata={
            "description": "DIN as scanned or typed (13 characters, or 14 with the check "
            "character, or the barcode =DIN+flag)"
        },
        **options,
    )


DIVISION_CODE = pattern(r"^[A-Za-z0-9]{2}$", _l("2 characters, e.g. 00."))


def measure(low: float, high: float) -> fields.Float:
    """A measured value: plausible range only, no NaN or infinity."""
    return fields.Float(validate=between(low, high), allow_nan=False)


def disguising_characters(text: str) -> list[str]:
    """The characters that change how text reads without showing themselves: control
    characters (but tab and line breaks), and format characters — bidirectional overrides
    (U+202E), zero-width spaces and joiners (U+200B…U+200D), the byte-order mark (U+FEFF)."""
    return [
        f"U+{ord(ch):04X}"
        for ch in text
        if (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r")
        or unicodedata.category(ch) == "Cf"
    ]


def clean_text(text: str) -> str:
    """NFC-normalised, stripped text; ValueError naming the hidden characters it contains."""
    hidden = disguising_characters(text)
    if hidden:
        raise ValueError(", ".join(dict.fromkeys(hidden)))
    return unicodedata.normalize("NFC", text).strip()


class InputSchema(ma.Schema):
    """Unknown fields are refused; blank strings from a form are "not given"; every text is
    NFC-normalised and refused when it hides characters a reader cannot see (passwords are
    taken as typed); a list longer than its field allows is refused before its entries are
    read."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _clean(self, data, **_kwargs):
        if not hasattr(data, "items"):
            return data
        cleaned, errors = {}, {}
        for key, value in data.items():
            if isinstance(value, str) and "password" in key:
                if value == "":
                    continue  # taken as typed, but blank is still "not given"
            elif isinstance(value, str):
                try:
                    value = clean_text(value)
                except ValueError as hidden:
                    errors[key] = [
                        str(_l("Contains hidden characters: %(which)s.")) % {"which": hidden}
                    ]
                    continue
                if value == "":
                    continue
            elif isinstance(value, list):
                if (too_long := self._too_many_entries(key, value)) is not None:
                    errors[key] = too_long
                    continue
                value, problems = _clean_list(value)
                if problems:
                    errors[key] = problems
                    continue
            cleaned[key] = value
        if errors:
            raise ma.ValidationError(errors)
        return cleaned

    def _too_many_entries(self, key: str, value: list) -> list[str] | None:
        """A list longer than its field allows is refused as a whole, before a single entry
        is read: 25,000 order lines cost one message, not 25,000 (nor the time to make them)."""
        field = next(
            (f for name, f in self.load_fields.items() if (f.data_key or name) == key), None
        )
        if not isinstance(field, fields.List):
            return None
        for validator in field.validators:
            too_long = (
                isinstance(validator, validate.Length)
                and validator.max is not None
                and len(value) > validator.max
            )
            if too_long:
                try:
                    validator(value)
                except ma.ValidationError as error:
                    return [str(m) for m in error.messages]
        return None


def blank_query_is_not_given(_converter, field, *, ret: dict, **_kwargs) -> dict:
    """For the API document (an apispec parameter attribute function): an optional query
    parameter read by an ``InputSchema`` may be sent empty (``?state=``), which means "not
    given" as a blank form field does; the document says so (``allowEmptyValue``)."""
    if ret.get("in") == "query" and not field.required and isinstance(field.parent, InputSchema):
        return {"allowEmptyValue": True}
    return {}


def _clean_list(values: list) -> tuple[list, dict[int, list[str]]]:
    cleaned, problems = [], {}
    for index, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = clean_text(value)
            except ValueError as hidden:
                problems[index] = [
                    str(_l("Contains hidden characters: %(which)s.")) % {"which": hidden}
                ]
        cleaned.append(value)
    return cleaned, problems


# --- the guard in front of every request -------------------------------------------------
#
# Some input cannot be stored at all (a NUL byte, a lone surrogate, an integer wider than the
# database's columns, JSON nested past reason) and would otherwise surface as a database error
# deep inside a service: a 500, after part of the work. It is refused here, before any view
# runs, for the API and the pages alike.

INT_MAX = 2**31 - 1  # the widest integer column (PostgreSQL integer)
MAX_JSON_DEPTH = 32  # the deepest document the API takes is 4 levels


class BoundedIntConverter(IntegerConverter):
    """``<int:id>`` in a URL: an id beyond the database's integer is simply not found."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


def unstorable(text: str) -> str | None:
    """Why a string can never be stored (NUL, lone surrogate), or None."""
    if "\x00" in text:
        return str(_l("Contains a NUL character."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return str(_l("Contains an invalid character (a lone surrogate)."))
    return None


def _json_problems(value: Any, path: tuple[str, ...], depth: int, out: dict) -> None:
    if depth > MAX_JSON_DEPTH:
        raise _TooDeep()
    if isinstance(value, dict):
        for key, item in value.items():
            if (why := unstorable(key)) is not None:
                out[".".join((*path, "<key>"))] = [why]
                continue
            _json_problems(item, (*path, key), depth + 1, out)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _json_problems(item, (*path, str(index)), depth + 1, out)
    elif isinstance(value, str):
        if (why := unstorable(value)) is not None:
            out[".".join(path) or "<body>"] = [why]
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not -INT_MAX <= value <= INT_MAX:
        out[".".join(path) or "<body>"] = [str(_l("Too large."))]


class _TooDeep(Exception):
    pass


class _NotANumber(Exception):
    pass


def _reject_constant(name: str) -> None:
    raise _NotANumber(name)


def _guard_json() -> None:
    if not request.is_json or not request.content_length:
        return
    try:
        data = json.loads(request.get_data(cache=True), parse_constant=_reject_constant)
    except RecursionError:
        raise MalformedInput(_l("The JSON body is nested too deeply.")) from None
    except _NotANumber:
        raise MalformedInput(_l("NaN and Infinity are not numbers JSON allows.")) from None
    except (ValueError, UnicodeDecodeError):
        return  # not JSON: the API's parser answers 400 with its own message
    problems: dict[str, list[str]] = {}
    try:
        _json_problems(data, (), 0, problems)
    except _TooDeep:
        raise MalformedInput(_l("The JSON body is nested too deeply.")) from None
    if problems:
        raise ValidationFailed(problems)


def _guard_text() -> None:
    sources = (("path", request.view_args or {}), ("query", request.args), ("form", request.form))
    for location, source in sources:
        for name, value in _items(source):
            if isinstance(value, str) and (why := unstorable(value)) is not None:
                raise ValidationFailed({name: [why]}, location=location)


def _items(source) -> Iterable[tuple[str, Any]]:
    if hasattr(source, "items") and hasattr(source, "getlist"):
        return ((k, v) for k, values in source.lists() for v in values)
    return source.items()


class MalformedInput(DomainError):
    status = 400
    code = "bad_request"
    template = _l("The request is malformed.")


def install_converters(app: Flask) -> None:
    """Before any route is added: ``<int:…>`` is bounded to the database's integers."""
    app.url_map.converters["int"] = BoundedIntConverter


# Where ``BloodApi`` leaves, per app, the query parameters each API operation documents:
# a function of (Flask rule, method) giving their names (None: not an API operation).
QUERY_PARAMETERS = "blood.query_parameters"
MAX_NAMED_UNKNOWN = 10


def _guard_query() -> None:
    """An API operation takes only the query parameters its document lists: a mistyped
    filter (``?stae=issued``) is refused, not ignored (which would answer every unit).
    flask-smorest's query parsing ignores unknown names, because the pagination parameters
    and the operation's own are read by two schemas."""
    documented = current_app.extensions.get(QUERY_PARAMETERS)
    if documented is None or request.url_rule is None or not request.args:
        return
    allowed = documented(request.url_rule.rule, request.method)
    if allowed is None:
        return
    unknown = sorted(set(request.args) - allowed)[:MAX_NAMED_UNKNOWN]
    if unknown:
        message = str(_l("Unknown field."))
        raise ValidationFailed({name[:64]: [message] for name in unknown}, location="query")


def guard_request() -> None:
    """Refuse what can never be stored, wherever it is in the request, and query parameters
    an API operation does not take."""
    _guard_text()
    _guard_json()
    _guard_query()
