"""ISBT 128 DINs: the worked example, construction, and refusing a wrong check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from blood.isbt128 import (
    InvalidDin,
    barcode_data,
    check_character,
    flag_value,
    make_din,
    parse_din,
)


def test_iccbba_worked_example():
    assert check_character("G123498654321") == "H"
    assert flag_value("G123498654321") == 77
    assert barcode_data("G123498654321") == "=G12349865432177"


def test_make_din_pads_year_and_sequence():
    assert make_din("W1234", 2026, 42) == "W123426000042"


@pytest.mark.parametrize("facility", ["O1234", "01234", "W123", "W12345", "w1234"])
def test_facility_ids_follow_the_isbt_alphabet(facility):
    with pytest.raises(InvalidDin):
        make_din(facility, 2026, 1)


@pytest.mark.parametrize("sequence", [0, 1_000_000])
def test_sequence_is_six_digits(sequence):
    with pytest.raises(InvalidDin):
        make_din("W1234", 2026, sequence)


@pytest.mark.parametrize(
    "scanned", ["G123498654321H", "g123498654321h", "G1234 98 654321 H", "=G12349865432177"]
)
def test_scans_with_the_right_check_are_accepted(scanned):
    parsed = parse_din(scanned, require_check=True)
    assert parsed.din == "G123498654321"
    assert parsed.check == "H"


@pytest.mark.parametrize("scanned", ["G123498654321J", "=G12349865432178"])
def test_a_wrong_check_is_refused(scanned):
    with pytest.raises(InvalidDin, match=r"check_mismatch|flag_mismatch"):
        parse_din(scanned)


def test_a_bare_din_is_accepted_only_when_no_check_is_required():
    assert parse_din("G123498654321").check is None
    with pytest.raises(InvalidDin):
        parse_din("G123498654321", require_check=True)


@pytest.mark.parametrize("text", ["", "G12349865432", "G1234986543211HH", "=G123498654321AB"])
def test_malformed_scans_are_refused(text):
    with pytest.raises(InvalidDin):
        parse_din(text)


@given(
    facility=st.from_regex(r"[A-NP-Z1-9][0-9]{4}", fullmatch=True),
    year=st.integers(2000, 2099),
    sequence=st.integers(1, 999_999),
)
def test_every_din_round_trips_and_any_other_check_fails(facility, year, sequence):
    din = make_din(facility, year, sequence)
    check = check_character(din)
    assert parse_din(din + check).din == din
    assert parse_din(barcode_data(din)).check == check
    wrong = "0" if check != "0" else "1"
    with pytest.raises(InvalidDin):
        parse_din(din + wrong)
