"""The activity log's query string."""

from __future__ import annotations

from marshmallow import fields

from blood.listing import ListQueryIn
from blood.validation_messages import at_most_chars


class ActivityQueryIn(ListQueryIn):
    action = fields.String(validate=at_most_chars(64))
    record = fields.String(validate=at_most_chars(64))  # an entity type
    record_id = fields.String(validate=at_most_chars(64))
