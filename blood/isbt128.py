"""ISBT 128 Donation Identification Numbers (DIN) and ABO/RhD codes. Pure logic.

A DIN is 13 characters ``αppppyynnnnnn``: a 5-character facility identification number
(first character A–N, P–Z or 1–9, then 4 digits), the 2-digit year and a 6-digit sequence,
unique per facility and year. Printed beside it, boxed, is a check character: the ISO 7064
mod 37-2 check of the 13 characters (python-stdnum), which also gives the flag value
60 + checksum carried in the barcode. Worked example (ICCBBA): ``G123498654321`` → check
character ``H``, flag ``77``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_2

FACILITY_RE = re.compile(r"^[A-NP-Z1-9]\d{4}$")
DIN_RE = re.compile(r"^[A-NP-Z1-9]\d{4}\d{2}\d{6}$")
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


class InvalidDin(ValueError):
    """Not a well-formed DIN, or its check character does not match. ``code`` names the
    problem and ``facts`` its figures; the words are the caller's (translated) business."""

    def __init__(self, code: str, **facts: object):
        super().__init__(code, facts)
        self.code = code
        self.facts = facts


def is_valid_facility_id(facility_id: str) -> bool:
    return bool(FACILITY_RE.match(facility_id))


def make_din(facility_id: str, year: int, sequence: int) -> str:
    if not is_valid_facility_id(facility_id):
        raise InvalidDin("facility_id", facility_id=facility_id)
    if not 0 < sequence <= 999_999:
        raise InvalidDin("sequence", sequence=sequence)
    return f"{facility_id}{year % 100:02d}{sequence:06d}"


def check_character(din: str) -> str:
    """The check character printed in a box after the DIN."""
    _require_din(din)
    return mod_37_2.calc_check_digit(din)


def flag_value(din: str) -> int:
    """The flag carried in the barcode for the check: 60 + the mod 37-2 checksum."""
    return 60 + ALPHABET.index(check_character(din))


def barcode_data(din: str) -> str:
    """Data content of the DIN barcode: data identifier ``=``, the DIN, the check flag."""
    return f"={din}{flag_value(din):02d}"


@dataclass(frozen=True)
class ScannedDin:
    din: str
    check: str | None  # None when the scan carried no check (typed DIN alone)


def parse_din(text: str, *, require_check: bool = False) -> ScannedDin:
    """Read a DIN as scanned or typed, and verify its check when there is one.

    Accepts ``G123498654321`` (13), ``G123498654321H`` (13 + check character),
    ``=G12349865432177`` (barcode: ``=``, DIN, two-digit flag; 60–96 carry the check) and
    spaces or dashes typed between groups.
    """
    cleaned = re.sub(r"[\s-]", "", text or "").upper()
    if cleaned.startswith("="):
        body = cleaned[1:]
        if len(body) != 15 or not body[13:].isdigit():
            raise InvalidDin("barcode_shape")
        din, flag = body[:13], int(body[13:])
        _require_din(din)
        if 60 <= flag <= 96:
            if flag != flag_value(din):
                raise InvalidDin("flag_mismatch", flag=flag, din=din)
            return ScannedDin(din, check_character(din))
        if require_check:
            raise InvalidDin("no_check_flag")
        return ScannedDin(din, None)
    if len(cleaned) == 14:
        din, given = cleaned[:13], cleaned[13]
        _require_din(din)
        if given != check_character(din):
            raise InvalidDin("check_mismatch", given=given, din=din)
        return ScannedDin(din, given)
    if len(cleaned) == 13:
        _require_din(cleaned)
        if require_check:
            raise InvalidDin("check_required")
        return ScannedDin(cleaned, None)
    raise InvalidDin("length")


def _require_din(din: str) -> None:
    if not DIN_RE.match(din):
        raise InvalidDin("shape", din=din)
