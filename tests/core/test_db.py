"""The engine's settings that the benchmarks showed matter."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from blood.db import make_engine


def test_postgresql_plans_every_run_of_a_prepared_statement_for_its_parameters(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("plan caching is PostgreSQL's")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            mode = connection.execute(sa.text("SHOW plan_cache_mode")).scalar_one()
    finally:
        engine.dispose()
    assert mode == "force_custom_plan"
