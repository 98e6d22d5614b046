"""marshmallow's built-in error messages, in the user's language.

The same schemas serve the API and the web forms, so their messages must follow the caller's
language. marshmallow formats a field's message when the error happens; giving it lazy
strings makes that formatting pick the request's locale. Validators take their message in
``error=``: use the helpers below rather than bare ``validate.Range`` and friends.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate


def install() -> None:
    fields.Field.default_error_messages.update(
        {
            "required": _l("Required."),
            "null": _l("Required."),
            "validator_failed": _l("Not a valid value."),
        }
    )
    fields.String.default_error_messages["invalid"] = _l("Not a valid text.")
    fields.Number.default_error_messages.update(
        {"invalid": _l("Not a number."), "too_large": _l("Too large.")}
    )
    fields.Integer.default_error_messages["invalid"] = _l("Not a whole number.")
    fields.Float.default_error_messages["special"] = _l("Not a number.")
    fields.Boolean.default_error_messages["invalid"] = _l("Yes or no.")
    fields.DateTime.default_error_messages.update(
        {
            "invalid": _l("Not a valid date and time."),
            "invalid_awareness": _l("Give the time with its time zone offset."),
        }
    )
    fields.Date.default_error_messages["invalid"] = _l("Not a valid date (YYYY-MM-DD).")
    fields.List.default_error_messages["invalid"] = _l("Not a valid list.")
    fields.Dict.default_error_messages["invalid"] = _l("Not a valid mapping.")
    fields.Nested.default_error_messages.update({"type": _l("Not a valid object.")})


def between(low: float, high: float, *, low_inclusive: bool = True) -> validate.Range:
    message = (
        _l("Must be between {min} and {max}.")
        if low_inclusive
        else _l("Must be more than {min} and at most {max}.")
    )
    return validate.Range(min=low, max=high, min_inclusive=low_inclusive, error=message)


def at_least(low: float, *, inclusive: bool = True) -> validate.Range:
    message = _l("Must be {min} or more.") if inclusive else _l("Must be more than {min}.")
    return validate.Range(min=low, min_inclusive=inclusive, error=message)


def at_most(high: float) -> validate.Range:
    return validate.Range(max=high, error=_l("Must be {max} or less."))


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(list(choices), error=_l("Choose one of: {choices}."))


def length(low: int | None = None, high: int | None = None) -> validate.Length:
    return validate.Length(min=low, max=high, error=_l("Between {min} and {max} characters."))


def at_most_chars(high: int) -> validate.Length:
    return validate.Length(max=high, error=_l("At most {max} characters."))


def items(low: int, high: int) -> validate.Length:
    """A list of ``low`` to ``high`` entries."""
    return validate.Length(min=low, max=high, error=_l("Give from {min} to {max} entries."))


def pattern(regex: str, message) -> validate.Regexp:
    return validate.Regexp(regex, error=message)


# Why a scanned or typed DIN was refused (``blood.isbt128.InvalidDin.code``), in words.
DIN_PROBLEMS = {
    "facility_id": _l("%(facility_id)s is not an ISBT 128 facility identification number."),
    "sequence": _l("Sequence %(sequence)s is outside 1–999999."),
    "barcode_shape": _l("A DIN barcode is “=”, 13 characters and a 2-digit flag."),
    "flag_mismatch": _l("The check flag %(flag)s does not match DIN %(din)s: scan it again."),
    "no_check_flag": _l("This barcode carries no check flag."),
    "check_mismatch": _l(
        "The check character %(given)s does not match DIN %(din)s: mistyped or misread?"
    ),
    "check_required": _l("Give the DIN with its check character."),
    "length": _l("A DIN has 13 characters (14 with its check character)."),
    "shape": _l("%(din)s is not a DIN (facility id, 2-digit year, 6-digit number)."),
}


def describe_invalid_din(error) -> str:
    """An ``isbt128.InvalidDin`` as one sentence in the user's language."""
    template = DIN_PROBLEMS.get(getattr(error, "code", ""), _l("Not a valid DIN."))
    facts = getattr(error, "facts", {})
    return str(template) % facts if facts else str(template)
