"""Shapes of the accounts pages and API: log-in, passwords, users, tokens, organisations."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from blood.accounts.roles import OrgKind
from blood.inputs import InputSchema
from blood.validation_messages import at_most_chars, items, length, one_of

# --- web forms ---------------------------------------------------------------------------


class LoginIn(InputSchema):
    username = fields.String(required=True, validate=at_most_chars(64))
    password = fields.String(required=True, validate=at_most_chars(200))


class PasswordChangeIn(InputSchema):
    current_password = fields.String(required=True, validate=at_most_chars(200))
    new_password = fields.String(required=True, validate=at_most_chars(200))


class UserIn(InputSchema):
    username = fields.String(required=True, validate=at_most_chars(64))
    display_name = fields.String(required=True, validate=length(1, 100))
    password = fields.String(required=True, validate=at_most_chars(200))
    roles = fields.List(
        fields.String(validate=at_most_chars(32)), required=True, validate=items(0, 10)
    )
    locale = fields.String(load_default="zh_CN", validate=one_of(["zh_CN", "en"]))


class UserEditIn(InputSchema):
    display_name = fields.String(required=True, validate=length(1, 100))
    locale = fields.String(load_default="zh_CN", validate=one_of(["zh_CN", "en"]))


class UserRolesIn(InputSchema):
    roles = fields.List(
        fields.String(validate=at_most_chars(32)), required=True, validate=items(0, 10)
    )


class PasswordResetIn(InputSchema):
    new_password = fields.String(required=True, validate=at_most_chars(200))


class TokenIn(InputSchema):
    name = fields.String(required=True, validate=length(1, 100))


# --- API ---------------------------------------------------------------------------------


class OrganisationOut(ma.Schema):
    code = fields.String(required=True)
    name_zh = fields.String(required=True)
    name_en = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": [k.value for k in OrgKind]})
    level = fields.String(allow_none=True)
    division_code = fields.String(allow_none=True)
    timezone = fields.String()
    parent_code = fields.String(allow_none=True)


class OrganisationQuery(InputSchema):
    kind = fields.String(validate=validate.OneOf([k.value for k in OrgKind]))


class MeOut(ma.Schema):
    kind = fields.String(required=True, metadata={"description": "user or token"})
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    organisation = fields.Nested(OrganisationOut, required=True)
