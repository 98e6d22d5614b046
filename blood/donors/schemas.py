"""Input and output shapes of the donor registry, deferrals and eligibility: shared by the
plasma station's and the blood centre's forms and by the API."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from blood.donors.messages import reason_as_json
from blood.donors.models import DEFERRAL_REASON_CODES
from blood.donors.rules import QUESTIONNAIRE, RAPID_TESTS, Reason
from blood.inputs import ABO, DIVISION, RHD, InputSchema, measure
from blood.listing import ListQueryIn, sort_field
from blood.validation_messages import at_most_chars, between, length, one_of


class DonorRegistrationIn(InputSchema):
    resident_id = fields.String(required=True, validate=at_most_chars(30))
    name = fields.String(required=True, validate=length(1, 100))
    sex = fields.String(validate=one_of(["M", "F"]))
    birth_date = fields.Date()
    household_region = fields.String(validate=DIVISION)
    phone = fields.String(validate=at_most_chars(20))
    address = fields.String(validate=at_most_chars(200))
    abo = fields.String(validate=ABO)
    rhd = fields.String(validate=RHD)


class DonorListIn(ListQueryIn):
    """The donor list's query string: search, blood group, registration dates, sort, page."""

    abo = fields.String(validate=ABO)
    rhd = fields.String(validate=RHD)
    sort = sort_field(("card", "name", "registered"))


class DeferralListIn(ListQueryIn):
    """The deferral list's query string: card number or name, state, reason, start dates."""

    state = fields.String(validate=one_of(["active", "ended", "lifted", "permanent"]))
    reason = fields.String(validate=one_of(DEFERRAL_REASON_CODES))
    sort = sort_field(("starts", "ends", "reason", "card"))


def _flags(codes, name: str, description: str) -> fields.Nested:
    """A mapping of known codes to true/false; any other key is refused (and the API
    document lists the codes)."""
    schema = InputSchema.from_dict({code: fields.Boolean() for code in codes}, name=name)
    return fields.Nested(schema, metadata={"description": description})


class ScreeningIn(InputSchema):
    """Plausible ranges only: a value outside them is a typing error, not a finding."""

    weight_kg = measure(20, 250)
    systolic = fields.Integer(validate=between(40, 300))
    diastolic = fields.Integer(validate=between(20, 200))
    pulse = fields.Integer(validate=between(20, 250))
    temperature_c = measure(30, 45)
    total_protein_g_l = measure(10, 150)
    alt_u_l = measure(0, 2000)
    hb_g_l = measure(20, 250)
    rapid_tests = _flags(RAPID_TESTS, "RapidTestsIn", "Rapid test: reactive (true) or not")
    questionnaire = _flags(QUESTIONNAIRE, "QuestionnaireIn", "Question: the answer (true: yes)")


SCREENING_FIELDS = tuple(ScreeningIn._declared_fields)


class DeferralIn(InputSchema):
    permanent = fields.Boolean(load_default=False)
    reason_code = fields.String(
        required=True,
        validate=validate.OneOf(DEFERRAL_REASON_CODES, error=_l("Choose a reason from the list.")),
    )
    ends_on = fields.Date()
    note = fields.String(validate=at_most_chars(500))


class LiftDeferralIn(InputSchema):
    reason = fields.String(required=True, validate=length(1, 500))


# --- eligibility API ---------------------------------------------------------------------


class EligibilityIn(ScreeningIn):
    """Either a registered donor (card number or resident ID) or a new person's resident ID."""

    donor = fields.String(
        required=True,
        validate=length(1, 30),
        metadata={
            "description": (
                "Card number or resident ID number of the donor. Digits (with a final X) are "
                "a resident ID: one that is not valid (18 characters, check character, birth "
                "date, region code) is refused with 422 on this field."
            ),
            "pattern": r"\S",
        },
    )
    on = fields.Date(metadata={"description": "Day to decide for; default: today at the station"})


class ReasonOut(ma.Schema):
    """A reason of the engine: its stable code, the figures, the sentence in the caller's
    language."""

    code = fields.String(required=True)
    facts = fields.Dict(required=True)
    message = fields.String(required=True)

    @ma.pre_dump
    def _in_words(self, reason, **_kwargs):
        return reason_as_json(reason) if isinstance(reason, Reason) else reason


class CollectionLimitOut(ma.Schema):
    amount = fields.Float()
    unit = fields.String()
    includes_anticoagulant = fields.Boolean()


class DecisionOut(ma.Schema):
    """Dumps ``blood.donors.service.EligibilityAnswer``."""

    eligible = fields.Boolean(required=True)
    reasons = fields.List(fields.Nested(ReasonOut), required=True)
    next_eligible_on = fields.Date(allow_none=True)
    collection_limit = fields.Nested(CollectionLimitOut, allow_none=True)
    profile = fields.String(required=True)
    registered = fields.Boolean(required=True)
