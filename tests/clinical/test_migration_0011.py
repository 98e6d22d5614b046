"""Migration 0011 creates exactly the clinical tables, and its downgrade drops exactly them
(SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blood import migrate
from blood.db import make_engine
from tests.conftest import backends

CLINICAL = {
    "clinical_transfusion",
    "clinical_transfusion_approval",
    "clinical_transfusion_flag",
    "clinical_transfusion_outcome",
    "clinical_adverse_reaction",
    "clinical_reaction_transfusion",
}


@pytest.mark.parametrize("backend", backends())
def test_0011_up_down_and_up_again(fresh_database, backend):
    url = fresh_database(backend)
    engine = make_engine(url)
    migrate.upgrade(url, "0010")
    before = set(sa.inspect(engine).get_table_names())
    assert not before & CLINICAL
    migrate.upgrade(url, "0011")
    assert set(sa.inspect(engine).get_table_names()) - before == CLINICAL
    migrate.downgrade(url, "0010")
    assert set(sa.inspect(engine).get_table_names()) <= before
    assert not set(sa.inspect(engine).get_table_names()) & CLINICAL
    migrate.upgrade(url, "0011")
    assert set(sa.inspect(engine).get_table_names()) >= CLINICAL
    engine.dispose()
