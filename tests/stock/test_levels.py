"""Stock levels: days of supply, the alert bands, and whose usage counts."""

from __future__ import annotations

import pytest

from blood.errors import NotFound
from blood.stock import bands
from blood.stock import service as stock
from tests.helpers import as_user
from tests.stock.helpers import add_usage, level, received, units_in_stock


def test_days_of_supply_and_phase(app, session, world):
    with app.app_context():
        units_in_stock(session, world, 3)
        add_usage(session, world, "BC", "issue", 28)  # 1 a day over 28 days
        add_usage(session, world, "BC", "issue", 5, days_ago=40)  # outside the window
        clerk = as_user(session, world, "bc.clerk")
        o_pos = level(stock.stock_levels(session=session, actor=clerk))
    assert (o_pos.on_hand, o_pos.daily_usage, o_pos.days_of_supply) == (3, 1.0, 3.0)
    assert o_pos.phase == "amber"  # red cells: green ≥ 6, pre-amber ≥ 4, amber ≥ 2


@pytest.mark.parametrize(
    "days, phase",
    [
        (None, "none"),
        (6, "green"),
        (5.9, "pre_amber"),
        (4, "pre_amber"),
        (3.9, "amber"),
        (2, "amber"),
        (1.9, "red"),
        (0, "red"),
    ],
)
def test_phase_bands(days, phase):
    assert bands.phase_of(days, 0, bands.DEFAULT_THRESHOLDS["red_cells"]) == phase


def test_thresholds_are_configuration_per_component_and_group():
    configured = {"red_cells": {"O-": {"pre_amber": 8, "amber": 5, "red": 3}}}
    assert bands.thresholds_for("red_cells", "O-", configured)["pre_amber"] == 8
    assert bands.thresholds_for("red_cells", "O+", configured)["pre_amber"] == 6


def test_hospital_usage_is_transfusions_and_scope_is_own(app, session, world):
    with app.app_context():
        received(session, world, 2)
        add_usage(session, world, "H-HZ", "transfuse", 14)
        add_usage(session, world, "H-WZ", "transfuse", 50)
        mine = level(
            stock.stock_levels(session=session, actor=as_user(session, world, "hhz.officer"))
        )
        province = level(
            stock.stock_levels(session=session, actor=as_user(session, world, "p.inspector"))
        )
        with pytest.raises(NotFound):
            stock.stock_levels(
                session=session,
                actor=as_user(session, world, "hhz.officer"),
                organisation_ids=[world.org("H-WZ").id],
            )
    assert (mine.on_hand, mine.daily_usage, mine.days_of_supply) == (2, 0.5, 4.0)
    # the province sums its jurisdiction: H-HZ and H-WZ transfusions, BC issues (2)
    assert province.on_hand == 2 and province.daily_usage == round((14 + 50 + 2) / 28, 2)
