"""Searchable, sortable, paged lists: the shared parts of every list's query.

A list's query string (``?q=&state=&sort=-expires&page=2``) is read by one ``InputSchema``
per list, built on ``ListQueryIn``; the service applies the actor's scope, the filters, the
whitelisted sort (``order_by_sort``) and ``blood.pagination.fetch_page``. A bad parameter is
answered by the page with the message beside the field (422), never by a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.inputs import InputSchema
from blood.pagination import MAX_PAGE
from blood.validation_messages import at_most_chars, between, one_of
from blood.web import flatten_errors


def sort_choices(columns: Iterable[str]) -> list[str]:
    """The allowed ``sort`` values: each column, ascending or (leading '-') descending."""
    return [name for column in columns for name in (column, f"-{column}")]


class ListQueryIn(InputSchema):
    """What every list reads: a search text, a date range and the page. A list's schema adds
    its filters and ``sort = sort_field(COLUMNS)``."""

    q = fields.String(validate=at_most_chars(100))
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    page = fields.Integer(validate=between(1, MAX_PAGE))

    @ma.validates_schema
    def _range(self, data, **_kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ma.ValidationError(_l("The end comes before the start."), "to")


def sort_field(columns: Iterable[str]) -> fields.String:
    return fields.String(validate=one_of(sort_choices(columns)))


def load_list_query(schema: ma.Schema, args: Mapping[str, Any]) -> tuple[dict, dict]:
    """The query string as (parameters, field errors keyed by parameter); unknown
    parameters are refused as errors too."""
    data = {k: v for k, v in args.items() if v != ""}
    # An odd page number is page 1, as on every paged page (a stale bookmark still opens).
    page = str(data.get("page", "1"))
    if not (page.isdigit() and len(page) < 7 and int(page) >= 1):
        data.pop("page", None)
    errors: dict[str, list[str]] = {}
    # The list still answers, by the parameters that were right (the wrong ones are named);
    # a date range's own check runs once both dates are readable.
    for _attempt in range(3):
        try:
            return schema.load(data), errors
        except ma.ValidationError as error:
            found = flatten_errors(error.messages)
        for key, messages in found.items():
            errors.setdefault(key, []).extend(messages)
        data = {k: v for k, v in data.items() if k not in errors}
        if "to" in found:
            data.pop("from", None)
    return {}, errors


def order_by_sort(
    statement: sa.Select, columns: Mapping[str, Any], sort: str | None, default: str, tiebreak: Any
) -> sa.Select:
    """Order by the whitelisted column ``sort`` names (``-name``: descending), then by
    ``tiebreak`` so pages never overlap."""
    key = sort or default
    descending = key.startswith("-")
    column = columns[key.lstrip("-")]
    ordered = column.desc() if descending else column.asc()
    return statement.order_by(ordered, tiebreak.desc() if descending else tiebreak.asc())
