"""The one way a web view handles a form: load it with the action's schema, call the service,
and turn any refusal into messages beside the fields.

A view does::

    result = submit(schemas.OrderIn(), lambda data: stock.create_order(..., **data))
    if result.ok:
        flash(...)
        return redirect(...)
    return render_template("…", errors=result.errors, form=request.form), result.status

The schema's field errors and the service's ``ValidationFailed`` come back the same way, so the
page shows them beside the same fields; other domain refusals listed in ``refusals`` come back
as a message on ``field`` (or at the top of the form when ``field`` is None).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import marshmallow as ma
from flask import flash, has_request_context, render_template, request
from flask_babel import gettext as _

from blood.errors import DomainError, ValidationFailed

T = TypeVar("T")
FORM_ERRORS = "_form"  # where messages that belong to no single field go


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"field": [...], "results.2.din": [...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
                flat.setdefault(name, []).extend(str(v) for v in value)
            else:
                for sub, texts in flatten_errors(value, name).items():
                    flat.setdefault(sub, []).extend(texts)
    elif isinstance(messages, list | tuple):
        flat.setdefault(prefix, []).extend(str(v) for v in messages)
    else:
        flat.setdefault(prefix, []).append(str(messages))
    return flat


def load_form(schema: ma.Schema, data: Mapping[str, Any] | None = None):
    """Load posted form data with the action's schema: (data, {}) or (None, field errors)."""
    source = data if data is not None else request.form.to_dict()
    source = {k: v for k, v in source.items() if k not in ("csrf_token", CONFIRMED)}
    try:
        return schema.load(source), {}
    except ma.ValidationError as error:
        return None, flatten_errors(error.messages)


@dataclass
class Submission(Generic[T]):
    """What became of a submitted form: the service's answer, or the errors to show."""

    value: T | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    refusal: DomainError | None = None  # the domain refusal, when one of `refusals` came

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> int:
        """The page's status: 422 when it shows errors."""
        return 422 if self.errors else 200

    def messages(self) -> list[str]:
        return [message for texts in self.errors.values() for message in texts]


def submit(
    schema: ma.Schema | None,
    action: Callable[[dict[str, Any]], T],
    *,
    data: Mapping[str, Any] | None = None,
    refusals: tuple[type[DomainError], ...] = (),
    field: str | None = None,
) -> Submission[T]:
    """Load ``data`` (default: the posted form) with ``schema`` (None: take it as it is),
    then call ``action`` with the result. Nothing is written when either refuses: the
    request's transaction is rolled back because the page answers 422."""
    if schema is None:
        loaded: dict[str, Any] = dict(data or {})
    else:
        loaded, errors = load_form(schema, data)
        if errors:
            return Submission(errors=errors)
    try:
        return Submission(value=action(loaded))
    except ValidationFailed as error:
        return Submission(errors=dict(error.fields))
    except refusals as refusal:
        return Submission(errors={field or FORM_ERRORS: [refusal.message]}, refusal=refusal)


def flash_errors(errors: Mapping[str, list[str]]) -> None:
    """For actions posted from a list page: the refusal goes back to that page as a notice."""
    for messages in errors.values():
        for message in messages:
            flash(message, "error")


# --- field labels in error summaries ------------------------------------------------------
#
# An error summary names each field by its label, never by its key ("Resident ID number", not
# "resident_id"; "Line 3: DIN", not "results.2.din"). Each package registers the labels of its
# forms' fields here when its views are imported: in FIELD_LABELS when a key means the same on
# every page, with ``page_labels`` when a key means something else on its own pages ("name" is
# a person's 姓名 on the donor registry, a push target's 名称 on supervision's pages).

FIELD_LABELS: dict[str, Any] = {}
_PAGE_LABELS: dict[str, dict[str, Any]] = {}


def page_labels(blueprint: str, labels: Mapping[str, Any]) -> None:
    """Labels of field keys on one blueprint's pages, ahead of the shared ones."""
    _PAGE_LABELS.setdefault(blueprint, {}).update(labels)


def _label_of(key: str) -> Any:
    own = _PAGE_LABELS.get(request.blueprint or "", {}) if has_request_context() else {}
    return own.get(key, FIELD_LABELS.get(key))


def field_label(name: str) -> str:
    """The label of a field key, with line numbers for rows of a list."""
    if name == FORM_ERRORS:
        return ""
    if (whole := _label_of(name)) is not None:
        return str(whole)
    parts = name.split(".")
    lines = [int(p) + 1 for p in parts if p.isdigit()]
    words = [p for p in parts if not p.isdigit()]
    found = _label_of(words[-1]) if words else None
    label = str(found if found is not None else (_label_of(".".join(words)) or ""))
    if not label:
        label = words[-1].replace("_", " ") if words else name
    if lines:
        return _("Line %(n)d: %(field)s", n=lines[0], field=label)
    return label


# --- confirmation of destructive actions --------------------------------------------------

CONFIRMED = "confirmed"


def confirmed() -> bool:
    """Whether the posted form carries the confirmation step's answer."""
    return request.form.get(CONFIRMED) == "1"


def confirmation_page(
    *, title: str, message: str, items: list[str] | None = None, cancel_url: str, button: str
):
    """Ask before a destructive action: the same form again, as hidden fields, with one
    button that confirms and a link that cancels. Nothing has been written yet."""
    fields = [
        (name, value)
        for name, values in request.form.lists()
        for value in values
        if name not in ("csrf_token", CONFIRMED)
    ]
    page = render_template(
        "_confirm.html",
        title=title,
        message=message,
        items=items or [],
        fields=fields,
        action=request.path,
        cancel_url=cancel_url,
        button=button,
    )
    return page, 200
