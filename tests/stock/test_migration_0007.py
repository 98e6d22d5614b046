"""Migration 0007 on a database that already holds blood-centre data: existing rows get
sensible values, and it goes down again (SQLite batch mode and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from blood import migrate
from blood.db import make_engine
from tests.conftest import backends

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _rows_before_0007(connection) -> None:
    """A blood centre, a donor, a donation, two units and a movement, as 0006 holds them,
    and a deployment's own product code."""
    run = connection.execute
    run(
        sa.text(
            "INSERT INTO organisation (id, code, name_zh, name_en, kind, path, timezone, active,"
            " created_at) VALUES (1, 'BC', '血液中心', 'Blood centre', 'blood_centre', '/1/',"
            " 'Asia/Shanghai', true, :at)"
        ),
        {"at": NOW},
    )
    run(
        sa.text(
            "INSERT INTO donor (id, station_id, card_number, resident_id_key, resident_id_masked,"
            " resident_id_enc, name, sex, birth_date, household_region, registered_at)"
            " VALUES (1, 1, 'C1', 'k', '3301**********123X', 'e', '王芳', 'F', :born,"
            " '330106', :at)"
        ),
        {"born": datetime(1990, 1, 1).date(), "at": NOW},
    )
    run(
        sa.text(
            "INSERT INTO blood_donation (id, donor_id, centre_id, din, check_character, kind,"
            " volume_ml, collected_at, screening) VALUES (1, 1, 1, 'B330026000001', 'S',"
            " 'whole_blood', 400, :at, '{}')"
        ),
        {"at": NOW},
    )
    for unit_id, code, component, state in (
        (1, "E0001", "red_cells", "available"),
        (2, "E0004", "plasma", "pending_tests"),
    ):
        run(
            sa.text(
                "INSERT INTO blood_unit (id, din, check_character, product_code, division,"
                " component, abo, rhd, volume_ml, collected_at, expires_at, state, owner_id,"
                " centre_id, donation_id, updated_at) VALUES (:id, 'B330026000001', 'S', :code,"
                " '00', :component, 'O', '+', 200, :at, :expires, :state, 1, 1, 1, :at)"
            ),
            {
                "id": unit_id,
                "code": code,
                "component": component,
                "state": state,
                "at": NOW,
                "expires": NOW + timedelta(days=30),
            },
        )
    run(
        sa.text(
            "INSERT INTO blood_unit_movement (unit_id, action, from_state, to_state,"
            " organisation_id, component, abo, rhd, at) VALUES (1, 'release', 'pending_tests',"
            " 'available', 1, 'red_cells', 'O', '+', :at)"
        ),
        {"at": NOW},
    )
    run(
        sa.text(
            "INSERT INTO product_code (code, component, shelf_life_hours, storage, name_en,"
            " name_zh, source) VALUES ('E9001', 'platelets', 120, '20-24 °C',"
            " 'Platelets, apheresis (site)', '单采血小板', 'site'), ('E9002', 'platelets', 120,"
            " '20-24 °C', 'Platelets, pooled buffy coat', '混合浓缩血小板', 'site')"
        )
    )


@pytest.mark.parametrize("backend", backends())
def test_0007_gives_existing_rows_sensible_values_and_goes_down_again(fresh_database, backend):
    url = fresh_database(backend)
    migrate.upgrade(url, "0006")
    engine = make_engine(url)
    with engine.begin() as connection:
        _rows_before_0007(connection)

    migrate.upgrade(url, "0007")
    with engine.connect() as connection:
        methods = dict(connection.execute(sa.text("SELECT code, method FROM product_code")).all())
        donation = connection.execute(
            sa.text(
                "SELECT deviation, deviation_facts, deviation_status, group_status"
                " FROM blood_donation"
            )
        ).one()
        states = dict(connection.execute(sa.text("SELECT id, state FROM blood_unit")).all())
    assert methods["E0003"] == methods["E3046"] == methods["E9001"] == "apheresis"
    assert methods["E0001"] == methods["E0004"] == methods["E9002"] == "whole_blood"
    assert donation[0] is None and donation[2] is None and donation[3] is None
    assert donation[1] in ({}, "{}")  # no deviation: empty facts
    assert states == {1: "available", 2: "pending_tests"}  # released units stay released

    # The new rules hold in the database too.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text("UPDATE blood_unit SET abo = NULL WHERE id = 1"))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE blood_unit SET abo = NULL, rhd = NULL WHERE id = 2"))
        connection.execute(sa.text("UPDATE blood_unit SET state = 'on_hold' WHERE id = 1"))

    # Going down: refused while a unit has no group, then a held unit is discarded as before.
    with pytest.raises(RuntimeError, match="no ABO/RhD group"):
        migrate.downgrade(url, "0006")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE blood_unit SET abo = 'O', rhd = '+' WHERE id = 2"))
    migrate.downgrade(url, "0006")
    with engine.connect() as connection:
        held = connection.execute(
            sa.text("SELECT state, discard_reason FROM blood_unit WHERE id = 1")
        ).one()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("product_code")}
    assert tuple(held) == ("discarded", "temperature_excursion")
    assert "method" not in columns
    migrate.upgrade(url, "0007")
    engine.dispose()
