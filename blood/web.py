"""Small helpers shared by the web views: schema-driven forms and flashing refusals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import request


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
    source = {k: v for k, v in source.items() if k != "csrf_token"}
    try:
        return schema.load(source), {}
    except ma.ValidationError as error:
        return None, flatten_errors(error.messages)
