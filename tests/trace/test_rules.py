"""The look-back window: back to the last negative test for the marker, at most 12 months."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from blood.trace.rules import TestedDonation as Given
from blood.trace.rules import months_before, window_start

INDEX = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _d(days, *negatives):
    return Given(f"D{days}", INDEX - timedelta(days=days), frozenset(negatives))


def test_back_to_the_last_negative_test_for_the_marker():
    history = [_d(300, "anti_hiv"), _d(100, "anti_hiv"), _d(50, "hbsag")]
    assert window_start(history, index_at=INDEX, markers=["anti_hiv"]) == INDEX - timedelta(
        days=100
    )


def test_never_more_than_the_window():
    history = [_d(500, "anti_hiv")]
    assert window_start(history, index_at=INDEX, markers=["anti_hiv"]) == months_before(INDEX, 12)


def test_a_marker_never_negative_before_traces_the_whole_window():
    history = [_d(30, "hbsag")]
    start = window_start(history, index_at=INDEX, markers=["anti_hiv"], months=6)
    assert start == months_before(INDEX, 6)


def test_several_markers_go_back_to_the_earliest_last_negative():
    history = [_d(200, "anti_hiv"), _d(40, "hbsag")]
    start = window_start(history, index_at=INDEX, markers=["anti_hiv", "hbsag"])
    assert start == INDEX - timedelta(days=200)


def test_months_before_keeps_the_end_of_a_short_month():
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
