"""Test fixtures: every `engine` test runs on SQLite and on the real PostgreSQL server.

PostgreSQL: LANSHOU_TEST_PG_URL, default postgresql://postgres@127.0.0.1:5432/test. Locally a missing server
skips those tests; under CI (CI=true) it fails them, because CI must prove PostgreSQL works.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from lanshou import bootstrap
from lanshou.db.engine import make_engine, upgrade
from lanshou.schema import metadata

PG_ADMIN_URL = os.environ.get("LANSHOU_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session", autouse=True)
def wired() -> None:
    """Every area subscribed to the domain events, as in the CLI (imports then keep rollups current); at
    once, not at the first event, so a test adding a handler of its own finds the areas' before it."""
    bootstrap.start().subscribed()


@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Whatever a test leaves in the data dir (the default job queue a nudge writes to, the buyer key)
    goes to a folder of the run's, never the user's own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANSHOU_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        yield


def _pg_reachable() -> str | None:
    try:
        probe = create_engine(PG_ADMIN_URL)
        with probe.connect() as conn:
            conn.execute(text("select 1"))
        probe.dispose()
    except Exception as exc:  # any connection failure
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    problem = _pg_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"lanshou_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """The session's PostgreSQL database emptied, for what only PostgreSQL can show (two transactions
    holding rows at once: SQLite's write transactions are exclusive)."""
    eng = make_engine(pg_database)
    _truncate_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "lanshou.db"
        shutil.copy(template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        url = request.getfixturevalue("pg_database")
        eng = make_engine(url)
        _truncate_all(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "lanshou.db"
    shutil.copy(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the CLI at a private data dir (its own SQLite database) and run in tmp_path."""
    data = tmp_path / "data"
    monkeypatch.setenv("LANSHOU_DATA_DIR", str(data))
    monkeypatch.delenv("LANSHOU_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return data


SAMPLES = Path(__file__).parent / "samples"
