"""Migrations build exactly the tables the code declares, and an old database upgrades itself."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from lanshou.db.engine import (
    _alembic_config,
    make_engine,
    newest_revision,
    open_database,
    schema_revisions,
)
from lanshou.schema import metadata


def test_migrations_match_the_declared_tables(engine: Engine) -> None:
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_the_newest_revision_is_alembics_head_and_each_file_is_named_by_its_revision(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_alembic_config(engine))
    assert newest_revision() == scripts.get_current_head()
    for script in scripts.walk_revisions():  # newest_revision reads the numbers off the file names
        assert script.path is not None and Path(script.path).name.startswith(f"{script.revision}_")
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == schema_revisions(engine)[0]


def test_a_command_starts_without_alembic(tmp_path: Path) -> None:
    """Opening a database whose schema is current loads neither alembic nor a migration script."""
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'current.db'}"
    open_database(url).dispose()
    probe = (
        "import sys; from lanshou.db.engine import open_database; "
        f"open_database({url!r}).dispose(); print(sorted(m for m in sys.modules if m.startswith('alembic')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=dict(os.environ), check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


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


def test_scorecard_rollups_survive_a_downgrade_and_upgrade(tmp_path: Path) -> None:
    """0004 sums the old carrier×province rollup into one table per grouping; its downgrade re-derives the
    pair from the delivered parcels. Both ways the scorecards stay what the raw rows say."""
    from datetime import timedelta

    from sqlalchemy import select

    from lanshou import schema as s
    from lanshou.demo.generator import DemoConfig
    from lanshou.demo.writer import write_demo
    from lanshou.metrics.compare import report_differences
    from lanshou.metrics.packs import pack_for
    from lanshou.metrics.report import metrics_report
    from lanshou.metrics.rollups import refresh

    engine = open_database(f"sqlite:///{tmp_path / 'demo.db'}")
    config = DemoConfig(orders=1500)
    write_demo(engine, config)
    refresh(engine, pack_for)
    tables = (s.rollup_delivery_carrier, s.rollup_delivery_province)

    def scorecards() -> list[list[tuple[object, ...]]]:
        with engine.connect() as conn:
            rows = [[(*row[:-1], round(row.sum_s, 3)) for row in conn.execute(select(t))] for t in tables]
            return [sorted(r) for r in rows]  # sums added in another order: equal to the millisecond

    before = scorecards()
    assert all(before)
    command.downgrade(_alembic_config(engine), "0003")
    assert "rollup_delivery_groups" in inspect(engine).get_table_names()
    command.upgrade(_alembic_config(engine), "head")
    assert scorecards() == before
    # 0007's downgrade kept one order per merged parcel (the one it counts under) and marked the others
    refresh(engine, pack_for)
    assert scorecards() == before
    as_of = config.end + timedelta(days=1)
    fast = metrics_report(engine, as_of, 30, source="rollups")
    slow = metrics_report(engine, as_of, 30, source="raw")
    fast.pop("source"), slow.pop("source")
    assert fast["all"]["delivery_hours_by_carrier"]
    assert report_differences(fast, slow) == []
