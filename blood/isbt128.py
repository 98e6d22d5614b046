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
    """Not a well-formed DIN, or its check character does not match."""


def is_valid_facility_id(facility_id: str) -> bool:
    return bool(FACILITY_RE.match(facility_id))


def make_din(facility_id: str, year: int, sequence: int) -> str:
    if not is_valid_facility_id(facility_id):
        raise InvalidDin(f"{facility_id!r} is not an ISBT 128 facility identification number")
    if not 0 < sequence <= 999_999:
        raise InvalidDin(f"sequence {sequence} is outside 1–999999")
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
            raise InvalidDin("a DIN barcode is '=', 13 characters and a 2-digit flag")
        din, flag = body[:13], int(body[13:])
        _require_din(din)
        if 60 <= flag <= 96:
            if flag != flag_value(din):
                raise InvalidDin(f"the check flag {flag} does not match DIN {din}")
            return ScannedDin(din, check_character(din))
        if require_check:
            raise InvalidDin("this barcode carries no check flag")
        return ScannedDin(din, None)
    if len(cleaned) == 14:
        din, given = cleaned[:13], cleaned[13]
        _require_din(din)
        if given != check_character(din):
            raise InvalidDin(f"the check character {given} does not match DIN {din}")
        return ScannedDin(din, given)
    if len(cleaned) == 13:
        _require_din(cleaned)
        if require_check:
            raise InvalidDin("give the DIN with its check character")
        return ScannedDin(cleaned, None)
    raise InvalidDin("a DIN has 13 characters (14 with its check character)")


def _require_din(din: str) -> None:
    if not DIN_RE.match(din):
        raise InvalidDin(f"{din!r} is not a DIN (facility id, 2-digit year, 6-digit number)")
