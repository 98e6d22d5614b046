"""Component splits are checked against the donation: the collection method each product is
made from, the total volume, and ISBT 128 divisions."""

from __future__ import annotations

import pytest
from sqlmodel import select

from blood.errors import Conflict, ValidationFailed
from blood.stock import service as stock
from blood.stock.models import Unit
from tests.stock.helpers import (
    collect,
    decide,
    donation,
    produce,
    test_results,
    use_settings,
)


def test_apheresis_products_are_made_only_from_apheresis_donations(app, session, world):
    with app.app_context():
        whole = donation(session, world)
        with pytest.raises(ValidationFailed) as refused:
            produce(session, world, whole, stock.ComponentInput("E0003", 250))
    assert "made from apheresis collections, not from whole blood" in str(
        refused.value.fields["components.0.product_code"]
    )


def test_whole_blood_products_are_made_only_from_whole_blood(app, session, world):
    with app.app_context():
        platelets = donation(session, world, kind="platelets", volume=250)
        with pytest.raises(ValidationFailed) as refused:
            produce(
                session,
                world,
                platelets,
                stock.ComponentInput("E0001", 120),
                stock.ComponentInput("E0004", 100),
            )
        assert set(refused.value.fields) == {
            "components.0.product_code",
            "components.1.product_code",
        }
        [unit] = produce(session, world, platelets, stock.ComponentInput("E0003", 250))
    assert unit.component == "platelets"


def test_components_may_not_hold_more_than_the_ratio_of_the_donation(app, session, world):
    with app.app_context():
        d = donation(session, world, volume=400)  # at most 1.4 × 400 = 560 mL
        produce(session, world, d, stock.ComponentInput("E0001", 300))
        with pytest.raises(ValidationFailed) as refused:
            produce(
                session,
                world,
                d,
                stock.ComponentInput("E0004", 220),
                stock.ComponentInput("E0006", 50),
            )
        assert (
            "The components total 570 mL: more than 560 mL" in refused.value.fields["components"][0]
        )
        produce(session, world, d, stock.ComponentInput("E0004", 220))  # 520 mL in all


def test_the_component_ratio_is_configurable(app, session, world):
    use_settings(session, component_volume_ratio=1.0)
    with app.app_context():
        d = donation(session, world, volume=200)
        with pytest.raises(ValidationFailed) as refused:
            produce(
                session,
                world,
                d,
                stock.ComponentInput("E0001", 150),
                stock.ComponentInput("E0004", 100),
            )
    assert "more than 200 mL, 1 ×" in refused.value.fields["components"][0]


def test_a_product_made_twice_needs_distinct_divisions_other_than_00(app, session, world):
    with app.app_context():
        d = donation(session, world)
        with pytest.raises(ValidationFailed) as undivided:
            produce(
                session,
                world,
                d,
                stock.ComponentInput("E0004", 100),
                stock.ComponentInput("E0004", 100, "A0"),
            )
        assert "components.0.division" in undivided.value.fields
        with pytest.raises(ValidationFailed) as same:
            produce(
                session,
                world,
                d,
                stock.ComponentInput("E0004", 100, "A0"),
                stock.ComponentInput("E0004", 100, "A0"),
            )
        assert "components.1.product_code" in same.value.fields
        produce(
            session,
            world,
            d,
            stock.ComponentInput("E0004", 100, "A0"),
            stock.ComponentInput("E0004", 100, "B0"),
        )
        # an undivided one may not join the divided parts afterwards
        with pytest.raises(ValidationFailed) as late:
            produce(session, world, d, stock.ComponentInput("E0004", 50))
    assert "components.0.division" in late.value.fields
    session.rollback()


def test_nothing_is_made_from_a_donation_that_failed_its_tests(app, session, world):
    with app.app_context():
        d = donation(session, world)
        test_results(session, world, d, hbsag="reactive")
        with pytest.raises(Conflict):
            produce(session, world, d, stock.ComponentInput("E0001", 280))


def test_nothing_is_made_from_a_donation_whose_deviation_was_rejected(app, session, world):
    from tests.helpers import register

    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        d = collect(session, world, volume=520, deviation_reason="scale misread")
        decide(session, world, d, "reject", "far over the bag's volume")
        with pytest.raises(Conflict):
            produce(session, world, d, stock.ComponentInput("E0001", 280))
    assert session.exec(select(Unit)).all() == []
