"""Engine creation and schema upgrades (Alembic), for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from lanshou.config import database_url

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # checkpoint every 50k pages (~200 MB of WAL), not 1k: bulk imports write ~1 GB per million lines and
    # each checkpoint syncs the database file, so frequent ones cost ~10% of an import (bench/import)
    cur.execute("PRAGMA wal_autocheckpoint=50000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(current revision of the database, newest revision this code knows)."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head or ""


def upgrade(engine: Engine, say: Callable[[str], None] | None = None) -> None:
    """Bring the schema to the newest revision, telling the user when an old database is upgraded."""
    current, head = schema_revisions(engine)
    if current == head:
        return
    if say is not None:
        if current is None:
            say(f"Creating the Lanshou database at {engine.url.render_as_string(hide_password=True)}")
        else:
            say(f"Upgrading the Lanshou database from schema {current} to {head} …")
    command.upgrade(_alembic_config(engine), "head")


def open_database(url: str | None = None, say: Callable[[str], None] | None = None) -> Engine:
    engine = make_engine(url)
    upgrade(engine, say)
    return engine


def checkpoint(engine: Engine) -> None:
    """Move SQLite's write-ahead log into the database file (after a bulk write); no-op elsewhere."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
