"""Migrations build exactly the tables the code declares, and an old database upgrades itself."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from lanshou.db.engine import _alembic_config, make_engine, open_database, schema_revisions
from lanshou.db.schema import metadata


def test_migrations_match_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_an_old_database_is_upgraded_with_a_message(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(url)
    command.upgrade(_alembic_config(old), "0001")  # a database from before the metric rollups
    assert "metric_orders" not in inspect(old).get_table_names()
    old.dispose()

    said: list[str] = []
    engine = open_database(url, say=said.append)
    current, head = schema_revisions(engine)
    assert current == head
    assert said == [f"Upgrading the Lanshou database from schema 0001 to {head} …"]
    assert "metric_orders" in inspect(engine).get_table_names()
    said.clear()
    open_database(url, say=said.append)  # already current: silent
    assert said == []


def test_a_new_database_is_created_with_a_message(tmp_path: Path) -> None:
    said: list[str] = []
    open_database(f"sqlite:///{tmp_path / 'new.db'}", say=said.append)
    assert len(said) == 1 and said[0].startswith("Creating the Lanshou database")
