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


# --- label data (the four quadrants of an ISBT 128 label, and their barcodes) -------------

# ISBT 128 ABO/RhD codes (data structure 002, first two characters).
ABO_RHD_CODES: dict[tuple[str, str], str] = {
    ("O", "-"): "95",
    ("O", "+"): "51",
    ("A", "-"): "06",
    ("A", "+"): "62",
    ("B", "-"): "17",
    ("B", "+"): "73",
    ("AB", "-"): "28",
    ("AB", "+"): "84",
}

# Data identifiers of the label's barcodes.
DIN_ID = "="
ABO_RHD_ID = "=%"
PRODUCT_ID = "=<"
EXPIRY_ID = "&>"
COLLECTION_ID = "&*"

# Source plasma for fractionation has no code in the local table of blood-centre products;
# a local placeholder, like that table's (deployments print the licensed ICCBBA code).
SOURCE_PLASMA_PRODUCT_CODE = "E0010"


def abo_rhd_code(abo: str | None, rhd: str | None) -> str | None:
    """The two-digit ISBT 128 group code (``O``, ``-`` → ``95``); None while unknown."""
    if not abo or not rhd:
        return None
    rhd = {"−": "-", "pos": "+", "neg": "-"}.get(rhd, rhd)
    return ABO_RHD_CODES.get((abo.upper(), rhd))


def abo_rhd_data(abo: str | None, rhd: str | None) -> str | None:
    """Barcode data of the group: ``=%`` + group code + ``00`` (no special messages)."""
    code = abo_rhd_code(abo, rhd)
    return None if code is None else f"{ABO_RHD_ID}{code}00"


def product_data(product_code: str, division: str = "00", donation_type: str = "0") -> str:
    """Barcode data of the product: ``=<`` + the 5-character product description code,
    the type of donation (``0``: not specified) and the 2-character division."""
    if not re.match(r"^[A-Z]\d{4}$", product_code or ""):
        raise ValueError(f"not a product description code: {product_code!r}")
    if not re.match(r"^[0-9A-Z]{2}$", division or ""):
        raise ValueError(f"not a division: {division!r}")
    return f"{PRODUCT_ID}{product_code}{donation_type}{division}"


def isbt_datetime(moment) -> str:
    """The ISBT 128 date-and-time ``cyyjjjhhmm``: century digit (0 for 2000–2099), year
    in the century, day of the year (001–366), hour and minute."""
    century = moment.year // 100 - 20
    if not 0 <= century <= 9:
        raise ValueError(f"year out of range: {moment.year}")
    return (
        f"{century}{moment.year % 100:02d}{moment.timetuple().tm_yday:03d}"
        f"{moment.hour:02d}{moment.minute:02d}"
    )


def expiry_data(moment) -> str:
    """Barcode data of the expiry: ``&>`` + ``cyyjjjhhmm``."""
    return f"{EXPIRY_ID}{isbt_datetime(moment)}"


def collection_data(moment) -> str:
    """Barcode data of the collection date and time: ``&*`` + ``cyyjjjhhmm``."""
    return f"{COLLECTION_ID}{isbt_datetime(moment)}"


@dataclass(frozen=True)
class LabelData:
    """What a label prints, quadrant by quadrant, with each quadrant's barcode data."""

    din: str
    check: str
    flag: int
    din_data: str
    group_code: str | None
    group_data: str | None
    product_code: str
    division: str
    product_data: str
    expiry_data: str | None
    collection_data: str


def label_data(
    *,
    din: str,
    abo: str | None,
    rhd: str | None,
    product_code: str,
    division: str = "00",
    collected_at,
    expires_at=None,
) -> LabelData:
    return LabelData(
        din=din,
        check=check_character(din),
        flag=flag_value(din),
        din_data=barcode_data(din),
        group_code=abo_rhd_code(abo, rhd),
        group_data=abo_rhd_data(abo, rhd),
        product_code=product_code,
        division=division,
        product_data=product_data(product_code, division),
        expiry_data=None if expires_at is None else expiry_data(expires_at),
        collection_data=collection_data(collected_at),
    )


# --- reading a receipt's scans (one code a line) -------------------------------------------

_DIN_LIKE = re.compile(r"^(=.*|[A-NP-Z1-9]\d{12}[0-9A-Z*]?)$")


@dataclass(frozen=True)
class ScanReading:
    """A receipt's scanned codes: the DINs (each once, in scan order, their check verified),
    the other codes (a shipment's or dispatch's number), and the lines that were refused:
    ``(line number, text, InvalidDin)``."""

    dins: list[str]
    numbers: list[str]
    problems: list[tuple[int, str, InvalidDin]]


def read_scans(text: str | None) -> ScanReading:
    """Read one scanned code a line: a DIN barcode (``=`` DIN flag), a DIN with its check
    character or the 13-character DIN is a unit; anything else is a document number."""
    dins: list[str] = []
    numbers: list[str] = []
    problems: list[tuple[int, str, InvalidDin]] = []
    for index, line in enumerate((text or "").splitlines(), start=1):
        raw = line.strip()
        if not raw:
            continue
        cleaned = re.sub(r"[\s-]", "", raw).upper()
        if _DIN_LIKE.match(cleaned):
            try:
                din = parse_din(cleaned).din
            except InvalidDin as error:
                problems.append((index, raw, error))
                continue
            if din not in dins:
                dins.append(din)
        elif raw.upper() not in numbers:
            numbers.append(raw.upper())
    return ScanReading(dins=dins, numbers=numbers, problems=problems)
