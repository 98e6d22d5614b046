"""The push-target form: what an authority's administrator types (the secret is never shown
again, so it is optional on an edit; the DHIS2 mapping is JSON text)."""

from __future__ import annotations

import json

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields

from blood.inputs import InputSchema
from blood.supervision.models import PUSH_FORMATS, SUMMARY_KINDS
from blood.validation_messages import items, length, one_of


class PushTargetIn(InputSchema):
    name = fields.String(required=True, validate=length(1, 100))
    url = fields.String(required=True, validate=length(1, 500))
    format = fields.String(required=True, validate=one_of(PUSH_FORMATS))
    summary_kinds = fields.List(
        fields.String(validate=one_of(SUMMARY_KINDS)), required=True, validate=items(1, 3)
    )
    secret = fields.String(validate=length(1, 500))
    username = fields.String(validate=length(1, 100))
    mapping = fields.String(validate=length(1, 100_000))

    @ma.post_load
    def _mapping(self, data: dict, **_kwargs) -> dict:
        text = data.get("mapping")
        if text is None:
            data["mapping"] = {}
            return data
        try:
            parsed = json.loads(text)
        except ValueError:
            raise ma.ValidationError(str(_l("Not JSON.")), "mapping") from None
        if not isinstance(parsed, dict):
            raise ma.ValidationError(str(_l("A JSON object is expected.")), "mapping")
        data["mapping"] = parsed
        return data


class DeliveryQuery(InputSchema):
    state = fields.String(validate=one_of(("pending", "in_flight", "delivered", "dead")))
