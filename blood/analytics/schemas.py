"""The analytics pages' inputs: the recall list's filters, the contact form and the
retention page's choices."""

from __future__ import annotations

from marshmallow import fields, validate

from blood.inputs import InputSchema
from blood.stock.models import COMPONENTS
from blood.validation_messages import at_most_chars, one_of

OUTCOMES = ("called", "messaged", "declined", "booked", "unreachable")


class LapsedQueryIn(InputSchema):
    abo = fields.String(validate=one_of(["A", "B", "O", "AB"]))
    rhd = fields.String(validate=one_of(["+", "-"]))
    region = fields.String(validate=at_most_chars(6))
    kind = fields.String(validate=one_of(["plasma", "whole_blood", "platelets"]))
    last_from = fields.Date()
    last_to = fields.Date()


class ContactIn(InputSchema):
    outcome = fields.String(required=True, validate=one_of(list(OUTCOMES)))
    note = fields.String(validate=at_most_chars(200))
    campaign_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class RevealIn(InputSchema):
    campaign_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


class CampaignIn(InputSchema):
    component = fields.String(required=True, validate=one_of(list(COMPONENTS)))
    abo = fields.String(required=True, validate=one_of(["A", "B", "O", "AB"]))
    rhd = fields.String(required=True, validate=one_of(["+", "-"]))


class RetentionQueryIn(InputSchema):
    kind = fields.String(validate=one_of(["plasma", "whole_blood"]))
    months = fields.Integer(validate=validate.Range(min=1, max=36))
