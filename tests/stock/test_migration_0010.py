"""Migration 0010 on a database that already holds movements: the daily usage is filled from
them (the movements that are use, by the organisation's local day), it goes down and up
again, and stock levels read the same figures from it (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from blood import migrate
from blood.db import make_engine
from tests.conftest import backends

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
# id, code, kind, time zone
ORGANISATIONS = [
    (2, "BC", "blood_centre", "Asia/Shanghai"),
    (3, "H1", "hospital", "Asia/Shanghai"),
    (4, "H2", "hospital", "Europe/Berlin"),
]
# organisation, action, at, component, abo, rhd
MOVEMENTS = [
    (2, "issue", datetime(2026, 11, 19, 15, 59, tzinfo=UTC), "red_cells", "O", "+"),  # 19th
    (2, "issue", datetime(2026, 11, 19, 16, 0, tzinfo=UTC), "red_cells", "O", "+"),  # 20th
    (2, "issue", datetime(2026, 11, 19, 17, 0, tzinfo=UTC), "red_cells", "O", "+"),  # 20th
    (2, "issue", datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "plasma", "AB", "-"),
    (2, "release", datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "red_cells", "O", "+"),  # no use
    (2, "transfuse", datetime(2026, 11, 18, 9, 0, tzinfo=UTC), "red_cells", "O", "+"),  # no use
    (3, "transfuse", datetime(2026, 11, 19, 23, 30, tzinfo=UTC), "red_cells", "A", "+"),  # 20th
    (3, "issue", datetime(2026, 11, 19, 10, 0, tzinfo=UTC), "red_cells", "A", "+"),  # transfer
    (3, "receive", datetime(2026, 11, 19, 10, 0, tzinfo=UTC), "red_cells", "A", "+"),
    (3, "transfuse", datetime(2026, 11, 19, 10, 0, tzinfo=UTC), "red_cells", None, None),
    (4, "transfuse", datetime(2026, 11, 19, 23, 30, tzinfo=UTC), "red_cells", "A", "+"),  # 20th
    (4, "transfuse", datetime(2026, 11, 19, 22, 30, tzinfo=UTC), "red_cells", "A", "+"),  # 19th
]


def _rows_before_0010(connection) -> None:
    run = connection.execute
    for org_id, code, kind, zone in ORGANISATIONS:
        run(
            sa.text(
                "INSERT INTO organisation (id, code, name_zh, name_en, kind, path, timezone,"
                " active, created_at) VALUES (:id, :code, :code, :code, :kind, :path, :zone,"
                " true, :at)"
            ),
            {
                "id": org_id,
                "code": code,
                "kind": kind,
                "path": f"/{org_id}/",
                "zone": zone,
                "at": NOW,
            },
        )
    run(
        sa.text(
            "INSERT INTO blood_unit (id, din, check_character, product_code, division,"
            " component, abo, rhd, volume_ml, collected_at, expires_at, state, owner_id,"
            " centre_id, updated_at) VALUES (1, 'B330026000001', 'S', 'E0001', '00',"
            " 'red_cells', 'O', '+', 200, :at, :expires, 'transfused', 3, 2, :at)"
        ),
        {"at": NOW - timedelta(days=5), "expires": NOW + timedelta(days=30)},
    )
    for org_id, action, at, component, abo, rhd in MOVEMENTS:
        run(
            sa.text(
                "INSERT INTO blood_unit_movement (unit_id, action, from_state, to_state,"
                " organisation_id, component, abo, rhd, at) VALUES (1, :action, 'x', 'y',"
                " :org, :component, :abo, :rhd, :at)"
            ),
            {
                "action": action,
                "org": org_id,
                "component": component,
                "abo": abo,
                "rhd": rhd,
                "at": at,
            },
        )


def _usage(connection) -> dict:
    rows = connection.execute(
        sa.text("SELECT organisation_id, day, component, abo, rhd, units FROM blood_daily_usage")
    ).all()
    return {
        (org, day if isinstance(day, date) else date.fromisoformat(day), c, a, r): n
        for org, day, c, a, r, n in rows
    }


EXPECTED = {
    (2, date(2026, 11, 19), "red_cells", "O", "+"): 1,
    (2, date(2026, 11, 20), "red_cells", "O", "+"): 2,
    (2, date(2026, 11, 18), "plasma", "AB", "-"): 1,
    (3, date(2026, 11, 20), "red_cells", "A", "+"): 1,
    (4, date(2026, 11, 20), "red_cells", "A", "+"): 1,
    (4, date(2026, 11, 19), "red_cells", "A", "+"): 1,
}


@pytest.mark.parametrize("backend", backends())
def test_0010_fills_the_daily_usage_from_the_movements_and_goes_down_again(fresh_database, backend):
    url = fresh_database(backend)
    migrate.upgrade(url, "0009")
    engine = make_engine(url)
    with engine.begin() as connection:
        _rows_before_0010(connection)

    migrate.upgrade(url, "0010")
    with engine.connect() as connection:
        assert _usage(connection) == EXPECTED

    migrate.downgrade(url, "0009")
    assert "blood_daily_usage" not in sa.inspect(engine).get_table_names()
    with engine.connect() as connection:
        moves = connection.execute(sa.text("SELECT count(*) FROM blood_unit_movement")).scalar()
    assert moves == len(MOVEMENTS)  # the movements are untouched

    migrate.upgrade(url, "0010")
    with engine.connect() as connection:
        assert _usage(connection) == EXPECTED
    engine.dispose()
