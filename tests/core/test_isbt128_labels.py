"""The ISBT 128 label data: group codes, product, dates and the DIN quadrant (pure)."""

from datetime import datetime

import pytest

from blood import isbt128


def test_worked_example_din_quadrant():
    data = isbt128.label_data(
        din="G123498654321",
        abo="O",
        rhd="+",
        product_code="E0001",
        collected_at=datetime(2026, 1, 1, 8, 5),
    )
    assert data.check == "H"
    assert data.flag == 77
    assert data.din_data == "=G12349865432177"


@pytest.mark.parametrize(
    ("abo", "rhd", "code"),
    [
        ("O", "-", "95"),
        ("O", "+", "51"),
        ("A", "-", "06"),
        ("A", "+", "62"),
        ("B", "-", "17"),
        ("B", "+", "73"),
        ("AB", "-", "28"),
        ("AB", "+", "84"),
    ],
)
def test_abo_rhd_codes(abo, rhd, code):
    assert isbt128.abo_rhd_code(abo, rhd) == code
    assert isbt128.abo_rhd_data(abo, rhd) == f"=%{code}00"


def test_unknown_group_has_no_code():
    assert isbt128.abo_rhd_code(None, None) is None
    assert isbt128.abo_rhd_data("A", None) is None


def test_product_data_carries_code_type_and_division():
    assert isbt128.product_data("E3046") == "=<E3046000"
    assert isbt128.product_data("E0001", "A0") == "=<E00010A0"
    with pytest.raises(ValueError):
        isbt128.product_data("3046")


def test_isbt_date_is_century_year_julian_day_hour_minute():
    assert isbt128.isbt_datetime(datetime(2026, 2, 1, 23, 59)) == "0260322359"
    assert isbt128.isbt_datetime(datetime(2024, 12, 31, 0, 0)) == "0243660000"  # leap year
    assert isbt128.expiry_data(datetime(2026, 1, 1, 0, 0)) == "&>0260010000"
    assert isbt128.collection_data(datetime(2026, 1, 9, 7, 30)) == "&*0260090730"


def test_label_data_without_expiry_or_group():
    data = isbt128.label_data(
        din="G123498654321",
        abo=None,
        rhd=None,
        product_code="E0010",
        collected_at=datetime(2026, 1, 1),
    )
    assert data.expiry_data is None and data.group_data is None
    assert data.product_data == "=<E0010000"


def test_read_scans_takes_each_din_form_and_a_number():
    reading = isbt128.read_scans("=G12349865432177\nG123498654321H\n\nG123498654321\nS-CA-S00001\n")
    assert reading.dins == ["G123498654321"]  # three scans of one unit
    assert reading.numbers == ["S-CA-S00001"]
    assert reading.problems == []


def test_read_scans_refuses_a_wrong_check_character_or_flag():
    reading = isbt128.read_scans("G123498654321J\n=G12349865432178")
    assert reading.dins == []
    assert [(line, error.code) for line, _text, error in reading.problems] == [
        (1, "check_mismatch"),
        (2, "flag_mismatch"),
    ]
