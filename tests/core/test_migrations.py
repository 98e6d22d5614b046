"""The schema comes from Alembic only: migrations build it from empty, and agree with the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import blood.models  # noqa: F401
from blood import migrate
from blood.db import make_engine
from tests.conftest import backends


def test_models_and_migrations_agree(base_app, database_url):
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == [], f"models and migrations differ; add a migration: {differences}"


def test_database_is_at_head(base_app, database_url):
    head = ScriptDirectory.from_config(migrate.alembic_config(database_url)).get_current_head()
    engine = make_engine(database_url)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    assert current == head


@pytest.mark.parametrize("backend", backends())
def test_upgrade_from_empty_then_down_to_base_and_up_again(fresh_database, backend):
    url = fresh_database(backend)
    migrate.upgrade(url)
    engine = make_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"organisation", "app_user", "api_token", "audit_log", "alembic_version"} <= tables

    migrate.downgrade(url, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(url)
    assert set(sa.inspect(engine).get_table_names()) == tables
    engine.dispose()
