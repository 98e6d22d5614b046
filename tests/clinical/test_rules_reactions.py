"""Adverse reactions: onset inside the category's usual window, and immediate alerting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from blood.clinical import rules

P = rules.CN_CLINICAL
START = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def onset(category, hours_after_end, periods=((START, END),)):
    return rules.onset(P, category, END + timedelta(hours=hours_after_end), list(periods))


@pytest.mark.parametrize(
    "category, inside, outside",
    [
        ("trali", 6, 6.1),
        ("taco", 12, 12.1),
        ("acute_haemolytic", 24, 24.1),
        ("febrile_non_haemolytic", 4, 4.1),
        ("hypotensive", 1, 1.1),
    ],
)
def test_onset_after_the_categorys_window_is_a_warning(category, inside, outside):
    assert onset(category, inside) is None
    warning = onset(category, outside)
    assert warning.code == "onset_outside_window" and not warning.refuses


def test_onset_during_the_transfusion_counts_as_inside_an_acute_window():
    assert rules.onset(P, "allergic", START + timedelta(minutes=20), [(START, END)]) is None


@pytest.mark.parametrize(
    "hours, warned", [(23.9, True), (24, False), (28 * 24, False), (28 * 24 + 1, True)]
)
def test_delayed_haemolytic_reactions_start_24_hours_to_28_days_after(hours, warned):
    assert (onset("delayed_haemolytic", hours) is not None) is warned


@pytest.mark.parametrize("category", ["tti", "other"])
def test_infections_and_other_reactions_have_no_window(category):
    assert onset(category, 24 * 400) is None


def test_onset_before_every_linked_transfusion_is_refused():
    found = rules.onset(P, "allergic", START - timedelta(minutes=1), [(START, END)])
    assert found.code == "onset_before_transfusion" and found.refuses


def test_any_linked_transfusion_may_put_the_onset_inside_its_window():
    earlier = (START - timedelta(days=2), END - timedelta(days=2))
    assert onset("febrile_non_haemolytic", 1, periods=(earlier, (START, END))) is None


@pytest.mark.parametrize(
    "category, severity, alert",
    [
        ("allergic", 2, False),
        ("allergic", 3, True),
        ("anaphylactic", 4, True),
        ("tti", 1, True),
        ("febrile_non_haemolytic", 1, False),
    ],
)
def test_severity_3_4_and_transmitted_infections_are_alerted_at_once(category, severity, alert):
    assert rules.alert_required(category, severity) is alert


@pytest.mark.parametrize(
    "birth, year, band",
    [(2026, 2026, "under_1"), (2025, 2026, "1_17"), (2009, 2026, "1_17"), (2008, 2026, "18_44"),
     (1982, 2026, "18_44"), (1981, 2026, "45_59"), (1967, 2026, "45_59"),
     (1966, 2026, "60_74"), (1952, 2026, "60_74"), (1951, 2026, "75_plus")],
)  # fmt: skip
def test_age_bands_from_the_birth_year(birth, year, band):
    assert rules.age_band(birth, year) == band
