"""Collection at the blood centre, components, and the product-code table."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from blood.errors import ValidationFailed
from blood.stock import service as stock
from blood.stock.lifecycle import UnitState
from blood.stock.models import BloodDonation, ProductCode, Unit
from tests.helpers import as_user, register
from tests.stock.helpers import collect, donation, produce, use_settings


def test_whole_blood_collection_gets_a_din_from_the_centre(app, session, world):
    with app.app_context():
        collected = donation(session, world)
    assert collected.din.startswith("B3300")
    assert collected.kind == "whole_blood" and collected.volume_ml == 400


@pytest.mark.parametrize("volume", [180, 200, 220, 270, 300, 330, 360, 400, 440])
def test_whole_blood_within_the_tolerance_of_200_300_400_is_normal(app, session, world, volume):
    with app.app_context():
        collected = donation(session, world, volume=volume)
    assert collected.deviation is None and collected.deviation_status is None
    assert collected.volume_ml == volume


@pytest.mark.parametrize("volume", [150, 250, 345, 450, 520])
def test_whole_blood_outside_200_300_400_is_a_deviation_not_a_refusal(app, session, world, volume):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        collected = collect(session, world, volume=volume, deviation_reason="donor felt faint")
    assert collected.volume_ml == volume  # the real volume is kept
    assert collected.deviation == "whole_blood_volume"
    assert collected.deviation_status == "open"
    assert collected.deviation_reason == "donor felt faint"
    assert collected.deviation_facts["actual_ml"] == volume
    assert collected.deviation_facts["tolerance_percent"] == 10
    assert collected.blocks_release


def test_a_volume_deviation_needs_the_collectors_reason(app, session, world):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        with pytest.raises(ValidationFailed) as refused:
            collect(session, world, volume=450, deviation_reason="  ")
    assert "450 mL is outside 200, 300 or 400 mL" in refused.value.fields["deviation_reason"][0]
    session.rollback()
    assert session.exec(select(BloodDonation)).all() == []


@pytest.mark.parametrize("volume", [0, -5, 601, 4000])
def test_an_implausible_volume_is_a_typing_error_and_refused(app, session, world, volume):
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        with pytest.raises(ValidationFailed) as refused:
            collect(session, world, volume=volume, deviation_reason="typo?")
    assert "volume_ml" in refused.value.fields


def test_the_volume_tolerance_is_configurable(app, session, world):
    use_settings(session, whole_blood_volume_tolerance=0.05)
    with app.app_context():
        register(session, world, serial=301, username="bc.collector")
        collected = collect(session, world, volume=430, deviation_reason="bag overfilled")
    assert collected.deviation_facts["tolerance_percent"] == 5
    assert collected.deviation_status == "open"


def test_six_months_between_whole_blood_donations(app, session, world):
    with app.app_context():
        donation(session, world)
        with pytest.raises(ValidationFailed) as refused:
            collect(session, world)
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
            collect(session, world)
    assert "Permanently deferred." in refused.value.fields["eligibility"]


def test_a_plasma_stations_donor_may_give_whole_blood_at_the_centre(app, session, world):
    with app.app_context():
        register(session, world, serial=341)  # registered at the Chun'an plasma station
        collected = collect(session, world, serial=341, volume=300)
    assert collected.centre_id == world.org("BC").id


def test_components_get_their_expiry_from_the_shelf_life_table(app, session, world):
    with app.app_context():
        d = donation(session, world)
        units = produce(
            session,
            world,
            d,
            stock.ComponentInput("E0001", 280),
            stock.ComponentInput("E0004", 200),
            stock.ComponentInput("E0006", 40),
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
            produce(
                session,
                world,
                d,
                stock.ComponentInput("E9999", 280),
                stock.ComponentInput("E0001", 280, expires_at=d.collected_at - timedelta(hours=1)),
                stock.ComponentInput("E0004", 0),
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
        produce(session, world, d, stock.ComponentInput("E0001", 280))
        with pytest.raises(ValidationFailed):
            produce(session, world, d, stock.ComponentInput("E0001", 280))
        # a divided component is another unit
        produce(
            session,
            world,
            d,
            stock.ComponentInput("E0004", 100, "A0"),
            stock.ComponentInput("E0004", 100, "B0"),
        )


def test_product_codes_load_from_csv_and_bad_rows_are_named(runner, session, tmp_path):
    good = tmp_path / "codes.csv"
    good.write_text(
        "code,component,method,shelf_life_hours,storage,name_en,name_zh,source\n"
        "E0001,red_cells,whole_blood,504,2-6 °C,Red cells (site table),红细胞,site\n"
        "E9001,platelets,apheresis,72,20-24 °C,Platelets (site),血小板,site\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["blood", "load-product-codes", str(good)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(ProductCode, "E0001").shelf_life_hours == 504
    assert session.get(ProductCode, "E9001").component == "platelets"
    assert session.get(ProductCode, "E9001").method == "apheresis"

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,component,method,shelf_life_hours\n"
        "X1,red_cells,whole_blood,5\n"
        "E0002,blood,whole_blood,5\n"
        "E0003,platelets,,120\n",
        encoding="utf-8",
    )
    refused = runner.invoke(args=["blood", "load-product-codes", str(bad)])
    assert refused.exit_code == 2
    assert "line 2:" in refused.output and "line 3:" in refused.output
    assert "line 4: The method column says what the product is made from" in refused.output


def test_the_shipped_product_codes_say_what_they_are_made_from(session):
    methods = {p.code: p.method for p in session.exec(select(ProductCode)).all()}
    assert methods["E0003"] == methods["E3046"] == "apheresis"
    assert {methods[c] for c in ("E0001", "E0002", "E0004", "E0005", "E0006")} == {"whole_blood"}


def test_the_donors_history_says_where_each_blood_centre_donation_was_made(app, session, world):
    from blood.donors import service as donors
    from blood.donors.models import Donor

    with app.app_context():
        collected = donation(session, world)
        history = donors.donations_of(session, session.get(Donor, collected.donor_id))
    [past] = history
    assert past.kind == "whole_blood"
    assert past.organisation_id == world.org("BC").id
