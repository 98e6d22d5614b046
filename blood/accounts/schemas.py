"""API shapes for accounts."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from blood.accounts.roles import OrgKind


class OrganisationOut(ma.Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": [k.value for k in OrgKind]})
    level = fields.String(allow_none=True)
    division_code = fields.String(allow_none=True)
    timezone = fields.String()
    parent_code = fields.String(allow_none=True)


class OrganisationQuery(ma.Schema):
    kind = fields.String(validate=validate.OneOf([k.value for k in OrgKind]))


class MeOut(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "user or token"})
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    organisation = fields.Nested(OrganisationOut, required=True)
