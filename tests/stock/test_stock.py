"""Collection, components, orders, dispatch, receipt, transfers, expiry, stock levels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from blood.errors import Forbidden, NotFound, ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import Action, UnitState
from blood.stock.models import Unit, UnitMovement
from tests.conftest import make_resident_id
from tests.helpers import as_user, register
from tests.stock.helpers import WELL, age, donation, now, units_in_stock


def test_whole_blood_collection_gets_a_din_from_the_centre(app, session, world):
    with app.app_context():
        collected = donation(session, world)
    assert collected.din.startswith("B3300")
    assert collected.kind == "whole_blood" and collected.volume_ml == 400


@pytest.mark.parametrize("volume", [250, 450, 0])
def test_whole_blood_volumes_are_200_300_or_400(app, session, world, volume):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        with pytest.raises(ValidationFailed) as refused:
            stock.record_blood_donation(
                session=session,
                actor=as_user(session, world, "bc.collector"),
                data=stock.BloodDonationInput(
                    donor=make_resident_id(serial=301),
                    kind="whole_blood",
                    volume_ml=volume,
                    screening=WELL,
                ),
            )
    assert "volume_ml" in refused.value.fields


def test_six_months_between_whole_blood_donations(app, session, world):
    with app.app_context():
        donation(session, world)
        with pytest.raises(ValidationFailed) as refused:
            stock.record_blood_donation(
                session=session,
                actor=as_user(session, world, "bc.collector"),
                data=stock.BloodDonationInput(
                    donor=make_resident_id(serial=301),
                    kind="whole_blood",
                    volume_ml=400,
                    screening=WELL,
                ),
            )
    assert "Too soon" in refused.value.fields["eligibility"][0]


def test_the_shared_deferral_registry_blocks_at_the_blood_centre(app, session, world):
    from blood.donors import service as donors

    with app.app_context():
        person = register(session, world, serial=301, username="bc.collector")
        donors.defer_donor(
            session=session,
            actor=as_user(session, world, "sca.physician"),
            donor=person,
            permanent=True,
            reason_code="reactive_marker",
            source="manual",
            station=world.org("S-CA"),
        )
        with pytest.raises(ValidationFailed) as refused:
            stock.record_blood_donation(
                session=session,
                actor=as_user(session, world, "bc.collector"),
                data=stock.BloodDonationInput(
                    donor=make_resident_id(serial=301),
                    kind="whole_blood",
                    volume_ml=400,
                    screening=WELL,
                ),
            )
    assert "Permanently deferred." in refused.value.fields["eligibility"]


def test_components_get_their_expiry_from_the_shelf_life_table(app, session, world):
    with app.app_context():
        d = donation(session, world)
        units = stock.produce_components(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            donation_id=d.id,
            components=[
                stock.ComponentInput("E0001", 280),
                stock.ComponentInput("E0004", 200),
                stock.ComponentInput("E0006", 40),
            ],
        )
    by_code = {u.product_code: u for u in units}
    assert by_code["E0001"].expires_at - d.collected_at == timedelta(days=35)
    assert by_code["E0004"].expires_at - d.collected_at == timedelta(days=365)
    assert {u.component for u in units} == {"red_cells", "plasma", "cryo"}
    assert all(u.state == UnitState.PENDING_TESTS and u.din == d.din for u in units)


def test_bad_components_are_refused_and_nothing_is_written(app, session, world):
    with app.app_context():
        d = donation(session, world)
        with pytest.raises(ValidationFailed) as refused:
            stock.produce_components(
                session=session,
                actor=as_user(session, world, "bc.clerk"),
                donation_id=d.id,
                components=[
                    stock.ComponentInput("E9999", 280),
                    stock.ComponentInput(
                        "E0001", 280, expires_at=d.collected_at - timedelta(hours=1)
                    ),
                    stock.ComponentInput("E0004", 0),
                ],
            )
    assert set(refused.value.fields) == {
        "components.0.product_code",
        "components.1.expires_at",
        "components.2.volume_ml",
    }
    session.rollback()
    assert session.exec(select(Unit)).all() == []


def test_a_component_exists_once_per_din(app, session, world):
    with app.app_context():
        d = donation(session, world)
        clerk = as_user(session, world, "bc.clerk")
        stock.produce_components(
            session=session,
            actor=clerk,
            donation_id=d.id,
            components=[stock.ComponentInput("E0001", 280)],
        )
        with pytest.raises(ValidationFailed):
            stock.produce_components(
                session=session,
                actor=clerk,
                donation_id=d.id,
                components=[stock.ComponentInput("E0001", 280)],
            )
        # a divided component is another unit
        stock.produce_components(
            session=session,
            actor=clerk,
            donation_id=d.id,
            components=[
                stock.ComponentInput("E0004", 100, "A0"),
                stock.ComponentInput("E0004", 100, "B0"),
            ],
        )


# --- orders, dispatch, receipt ------------------------------------------------------------


def order(session, world, quantity=2, abo="O", rhd="+", component="red_cells"):
    return stock.create_order(
        session=session,
        actor=as_user(session, world, "hhz.officer"),
        centre_code="BC",
        urgency="urgent",
        lines=[stock.OrderLineInput(component, abo, rhd, quantity)],
    )


def test_order_fefo_dispatch_and_receipt(app, session, world):
    with app.app_context():
        later, sooner, other_group = (
            units_in_stock(session, world, 1, first_serial=301)[0],
            units_in_stock(session, world, 1, first_serial=303)[0],
            units_in_stock(session, world, 1, first_serial=305, abo="A")[0],
        )
        age(session, sooner, hours=24)
        placed = order(session, world, quantity=1)
        clerk = as_user(session, world, "bc.clerk")
        suggestion = stock.fefo_suggestion(session=session, actor=clerk, order_id=placed.id)
        assert [u.id for u in next(iter(suggestion.values()))] == [sooner.id]
        with pytest.raises(ValidationFailed):  # A+ matches no line
            stock.fulfil_order(
                session=session, actor=clerk, order_id=placed.id, unit_ids=[other_group.id]
            )
        dispatch = stock.fulfil_order(
            session=session, actor=clerk, order_id=placed.id, unit_ids=[later.id]
        )  # the clerk may override FEFO
        assert placed.status == "fulfilled"
        assert later.state == UnitState.ISSUED and later.owner_id == world.org("H-HZ").id

        officer = as_user(session, world, "hhz.officer")
        with pytest.raises(ValidationFailed):  # every unit must be confirmed
            stock.confirm_receipt(session=session, actor=officer, dispatch_id=dispatch.id, lines=[])
        with pytest.raises(NotFound):  # another hospital does not even see the dispatch
            stock.confirm_receipt(
                session=session,
                actor=as_user(session, world, "hwz.officer"),
                dispatch_id=dispatch.id,
                lines=[],
            )
        stock.confirm_receipt(
            session=session,
            actor=officer,
            dispatch_id=dispatch.id,
            lines=[stock.ReceiptLine(later.din + later.check_character, "E0001", True)],
        )
        assert later.state == UnitState.RECEIVED
        with pytest.raises(stock.Conflict):
            stock.confirm_receipt(
                session=session,
                actor=officer,
                dispatch_id=dispatch.id,
                lines=[stock.ReceiptLine(later.din, "E0001", True)],
            )


def test_out_of_temperature_units_are_received_then_discarded(app, session, world):
    with app.app_context():
        [unit] = units_in_stock(session, world)
        placed = order(session, world, quantity=1)
        dispatch = stock.fulfil_order(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            order_id=placed.id,
            unit_ids=[unit.id],
        )
        stock.confirm_receipt(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            dispatch_id=dispatch.id,
            lines=[stock.ReceiptLine(unit.din, "E0001", False)],
        )
    assert unit.state == UnitState.DISCARDED and unit.discard_reason == "temperature_excursion"


def test_order_input_is_checked(app, session, world):
    with app.app_context(), pytest.raises(ValidationFailed) as refused:
        stock.create_order(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            centre_code="NOPE",
            urgency="whenever",
            lines=[stock.OrderLineInput("blood", "C", "+", 0)],
        )
    assert {"centre", "urgency", "lines.0.component", "lines.0.abo", "lines.0.quantity"} <= set(
        refused.value.fields
    )


def received(session, world, n=1):
    units = units_in_stock(session, world, n)
    placed = order(session, world, quantity=n)
    dispatch = stock.fulfil_order(
        session=session,
        actor=as_user(session, world, "bc.clerk"),
        order_id=placed.id,
        unit_ids=[u.id for u in units],
    )
    stock.confirm_receipt(
        session=session,
        actor=as_user(session, world, "hhz.officer"),
        dispatch_id=dispatch.id,
        lines=[stock.ReceiptLine(u.din, u.product_code, True) for u in units],
    )
    return units


def test_a_unit_is_transfused_once(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        officer = as_user(session, world, "hhz.officer")
        stock.hospital_action(session=session, actor=officer, unit=unit, action=Action.TRANSFUSE)
        with pytest.raises(stock.TransitionRefused) as refused:
            stock.hospital_action(
                session=session, actor=officer, unit=unit, action=Action.TRANSFUSE
            )
        with pytest.raises(stock.TransitionRefused):
            stock.hospital_action(
                session=session, actor=officer, unit=unit, action=Action.DISCARD, reason="damaged"
            )
    assert refused.value.status == 409 and "transfused" in refused.value.message


def test_expired_units_cannot_be_issued_or_transfused(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        age(session, unit, hours=36 * 24)
        with pytest.raises(stock.UnitExpired):
            stock.hospital_action(
                session=session,
                actor=as_user(session, world, "hhz.officer"),
                unit=unit,
                action=Action.TRANSFUSE,
            )
        [centre_unit] = units_in_stock(session, world, 1, first_serial=321)
        age(session, centre_unit, hours=36 * 24)
        placed = order(session, world, quantity=1)
        with pytest.raises(stock.UnitExpired):
            stock.fulfil_order(
                session=session,
                actor=as_user(session, world, "bc.clerk"),
                order_id=placed.id,
                unit_ids=[centre_unit.id],
            )


def test_another_hospital_cannot_touch_the_unit(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        with pytest.raises(NotFound):
            stock.find_unit(
                session=session,
                actor=as_user(session, world, "hwz.officer"),
                din=unit.din,
                product_code=unit.product_code,
            )
        with pytest.raises(Forbidden):
            stock.hospital_action(
                session=session,
                actor=as_user(session, world, "hwz.officer"),
                unit=unit,
                action=Action.TRANSFUSE,
            )


def test_discard_needs_a_listed_reason(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        with pytest.raises(ValidationFailed):
            stock.hospital_action(
                session=session,
                actor=as_user(session, world, "hhz.officer"),
                unit=unit,
                action=Action.DISCARD,
                reason="bored",
            )


def test_return_and_restock(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        stock.hospital_action(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            unit=unit,
            action=Action.RETURN,
        )
        assert unit.state == UnitState.RETURNED and unit.owner_id == world.org("BC").id
        stock.hospital_action(
            session=session,
            actor=as_user(session, world, "bc.clerk"),
            unit=unit,
            action=Action.RESTOCK,
        )
    assert unit.state == UnitState.AVAILABLE


def test_hospital_to_hospital_transfer(app, session, world):
    with app.app_context():
        [unit] = received(session, world)
        dispatch = stock.transfer_units(
            session=session,
            actor=as_user(session, world, "hhz.officer"),
            to_code="H-WZ",
            units=[unit],
        )
        stock.confirm_receipt(
            session=session,
            actor=as_user(session, world, "hwz.officer"),
            number=dispatch.number,
            lines=[stock.ReceiptLine(unit.din, unit.product_code, True)],
        )
    assert unit.owner_id == world.org("H-WZ").id and unit.state == UnitState.RECEIVED


# --- expiry and stock levels ----------------------------------------------------------------


def test_expiry_job_is_idempotent(app, session, world):
    with app.app_context():
        fresh, old = units_in_stock(session, world, 2)
        age(session, old, hours=36 * 24)
        assert stock.expire_units(session) == 1
        assert stock.expire_units(session) == 0
    assert old.state == UnitState.EXPIRED and fresh.state == UnitState.AVAILABLE


def test_near_expiry_list(app, session, world):
    with app.app_context():
        soon, _later = units_in_stock(session, world, 2)
        age(session, soon, hours=33 * 24)
        listed = stock.near_expiry(session=session, actor=as_user(session, world, "bc.clerk"))
    assert [u.id for u in listed] == [soon.id]


def add_usage(
    session, world, org_code, action, count, component="red_cells", abo="O", rhd="+", days_ago=3
):
    unit = session.exec(select(Unit)).first()
    for _ in range(count):
        session.add(
            UnitMovement(
                unit_id=unit.id,
                action=action,
                from_state="x",
                to_state="y",
                organisation_id=world.org(org_code).id,
                component=component,
                abo=abo,
                rhd=rhd,
                at=now() - timedelta(days=days_ago),
            )
        )
    session.flush()


def level(levels, component="red_cells", group="O+"):
    return next(lv for lv in levels if lv.component == component and lv.group == group)


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
    assert stock.phase_of(days, 0, stock.DEFAULT_THRESHOLDS["red_cells"]) == phase


def test_thresholds_are_configuration_per_component_and_group(app, session, world):
    app.config["STOCK_ALERT_THRESHOLDS"] = {
        "red_cells": {"O-": {"pre_amber": 8, "amber": 5, "red": 3}}
    }
    try:
        with app.app_context():
            assert stock.thresholds_for("red_cells", "O-")["pre_amber"] == 8
            assert stock.thresholds_for("red_cells", "O+")["pre_amber"] == 6
    finally:
        app.config.pop("STOCK_ALERT_THRESHOLDS")


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


def test_product_codes_load_from_csv_and_bad_rows_are_named(runner, session, tmp_path):
    from blood.stock.models import ProductCode

    good = tmp_path / "codes.csv"
    good.write_text(
        "code,component,shelf_life_hours,storage,name_en,name_zh,source\n"
        "E0001,red_cells,504,2-6 °C,Red cells (site table),红细胞,site\n"
        "E9001,platelets,72,20-24 °C,Platelets (site),血小板,site\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["blood", "load-product-codes", str(good)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(ProductCode, "E0001").shelf_life_hours == 504
    assert session.get(ProductCode, "E9001").component == "platelets"

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,component,shelf_life_hours\nX1,red_cells,5\nE0002,blood,5\n", encoding="utf-8"
    )
    refused = runner.invoke(args=["blood", "load-product-codes", str(bad)])
    assert refused.exit_code == 2
    assert "line 2:" in refused.output and "line 3:" in refused.output


def test_a_plasma_stations_donor_may_give_whole_blood_at_the_centre(app, session, world):
    with app.app_context():
        register(session, world, serial=341)  # registered at the Chun'an plasma station
        collected = stock.record_blood_donation(
            session=session,
            actor=as_user(session, world, "bc.collector"),
            data=stock.BloodDonationInput(
                donor=make_resident_id(serial=341),
                kind="whole_blood",
                volume_ml=300,
                screening=WELL,
            ),
        )
    assert collected.centre_id == world.org("BC").id
