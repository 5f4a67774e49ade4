"""Engine creation, schema upgrades (Alembic) and transactions that stay right beside other processes, for
SQLite and PostgreSQL alike.

Several processes may write at once (imports, the rollup refresh, a rebuild, the demo writer), so:
- `write_transaction`: on SQLite the write lock is taken at BEGIN (BEGIN IMMEDIATE). pysqlite otherwise
  runs a transaction's reads before its first write outside any transaction, so what it read may have
  changed by the time it writes; and a deferred transaction that read first cannot take the lock later
  (it fails at once with "database is locked" instead of waiting).
- `run_transaction`: the same, retried when the database says another transaction was in the way
  (PostgreSQL: a deadlock, a serialization failure, a concurrent insert of the same key; SQLite: still busy
  after the busy timeout). The work must be safe to run again: it starts from what is stored.
- `lock_exclusively`: a named lock held to the end of the transaction (PostgreSQL advisory lock; SQLite's
  write transaction is exclusive already).
- `read_snapshot`: reads that all see one committed state, so a report never mixes two batches.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError

from lanshou.config import database_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# A writer waits this long for SQLite's write lock. Writers queue behind each other's batches (an import's
# batch, a refresh batch), each well under a second, but the busy handler is no fair queue: one writer may
# lose many turns in a row. tests/test_concurrency.py (three order imports, two tracking imports, a feedback
# import, a rebuild and a report loop on two loaded cores) measured waits up to 11 s: over the 10 s before.
BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 65_536  # per connection, at most: see _sqlite_pragmas
WAL_KEPT_BYTES = 64 * 1024 * 1024  # see _sqlite_pragmas
CHECKPOINT_WAIT_MS = 1_000  # `checkpoint` only helps: it does not wait out other work
ATTEMPTS = 6  # run_transaction: tries before the error is the caller's
# PostgreSQL: serialization failure, deadlock detected, unique violation (another transaction inserted the
# same key first; the retry reads it), lock not available
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "23505", "55P03"})
T = TypeVar("T")
log = logging.getLogger("lanshou.db")


def make_engine(url: str | None = None, connections: int | None = None) -> Engine:
    """`connections`: on PostgreSQL, how many the pool keeps open (a server process passes its number of
    request threads; as many more are opened for a burst and closed after). Default: SQLAlchemy's 5 + 10."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    sized = {} if connections is None else {"pool_size": connections, "max_overflow": connections}
    engine = create_engine(url, pool_pre_ping=True, **sized)
    event.listen(engine, "connect", _pg_costs)
    return engine


# PostgreSQL's default random_page_cost (4) prices an index probe as a disk seek. Lanshou's batch look-ups
# join 2,000–5,000 keys (lanshou.db.keyset) on an index; priced so, the planner hashed the whole
# tracking_events table instead (measured at 171k events: 229 ms against 19 ms for the index nested loop)
# until the table is several times the batch. With the data cached or on SSD, 1.1 is the usual setting. A
# server whose administrator set it (source not "default") keeps its own value.
RANDOM_PAGE_COST = 1.1


def _pg_costs(dbapi_conn: Any, _record: Any) -> None:
    with dbapi_conn.cursor() as cur:
        cur.execute("SELECT source FROM pg_settings WHERE name = 'random_page_cost'")
        row = cur.fetchone()
        if row is not None and row[0] == "default":
            cur.execute(f"SET random_page_cost = {RANDOM_PAGE_COST}")
    dbapi_conn.commit()  # psycopg opened a transaction for the look-up; the SET outlives it (session)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # checkpoint every 50k pages (~200 MB of WAL), not 1k: bulk imports write ~1 GB per million lines and
    # each checkpoint syncs the database file, so frequent ones cost ~10% of an import (bench/import)
    cur.execute("PRAGMA wal_autocheckpoint=50000")
    # a log that grew for a bulk write is cut back to this when it starts over (after its frames are all in
    # the database file), instead of keeping its largest size on disk for as long as a process runs
    cur.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
    # SQLite's default page cache is 2 MB. A bulk batch inserts thousands of keys at random places in indexes
    # of millions of rows (events and parcel states by tracking number, orders and buyers by buyer): with
    # 2 MB each page is read, spilled and written again several times per batch (measured: a 1M-event
    # tracking import 14% slower; bench/tracking/README.md). The cache is a limit, filled only as pages
    # are used: a connection that reads a few orders stays small.
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config  # only to migrate: see newest_revision

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def newest_revision() -> str:
    """The newest revision this code knows: the number its migration's file name starts with (0032_….py
    holds revision "0032", down from "0031"; tests/test_migrations.py holds alembic's own reading to it).
    Every process opening the database asks; alembic would import itself and load every migration script to
    answer (0.25-0.3 s of each `lanshou` command's start on a slow host, for a schema that is current)."""
    return max(path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(current revision of the database, newest revision this code knows)."""
    with engine.connect() as conn:
        current = _stored_revision(conn)
    return current, newest_revision()


def _stored_revision(conn: Connection) -> str | None:
    """What alembic's MigrationContext.get_current_revision reads (one row at most: the history is linear)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


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
    from alembic import command

    command.upgrade(_alembic_config(engine), "head")


def open_database(url: str | None = None, say: Callable[[str], None] | None = None) -> Engine:
    engine = make_engine(url)
    upgrade(engine, say)
    return engine


@contextmanager
def database_for_a_job() -> Iterator[Engine]:
    """The configured database, opened (and brought up to date) for one job run and closed after it."""
    engine = open_database()
    try:
        yield engine
    finally:
        engine.dispose()


def checkpoint(engine: Engine) -> None:
    """Move SQLite's write-ahead log into the database file (after a bulk write); no-op elsewhere. While
    others read or write it does what it can at once (measured: a TRUNCATE checkpoint waited 8.6 s for a
    report loop's readers): SQLite checkpoints again on its own later."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextmanager
def checkpointing_beside(engine: Engine) -> Iterator[None]:
    """On SQLite, move what was committed so far from the write-ahead log into the database file while the
    block runs (an import's settle, which leaves the other core free or nearly): a PASSIVE checkpoint
    neither waits for nor blocks the block's readers and writers. It runs in a helper process with a
    connection of its own, not in a thread: the block may fork (the two-process refresh), and a child forked
    while a thread is inside SQLite could inherit one of SQLite's mutexes locked for good. The block does
    not wait for it either: an import returns once its own work is done (its rows are committed and its
    rollups current) and the helper finishes on its own, reaped by the next one or `finish_checkpoints`.
    What the block itself writes stays in the log (SQLite checkpoints it on its own, at the latest when
    the last connection closes). No-op elsewhere."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or path in (None, "", ":memory:") or "uri" in engine.url.query:
        yield  # (a URI filename's options would need the helper to parse them: SQLite checkpoints later)
        return
    _reap(wait=False)
    helper = _start_checkpoint(path)
    try:
        yield
    finally:
        if helper is not None:
            with _reaping:
                _running.append(helper)
            _reap(wait=False)


def finish_checkpoints() -> None:
    """Wait for the checkpoint helpers still running (what they moved is in the database file after)."""
    _reap(wait=True)


_running: list[subprocess.Popen[str]] = []  # checkpoint helpers not reaped yet (threads share them)
_reaping = threading.Lock()


def _forget_helpers() -> None:
    """In a forked child (the parser, a refresh process): it is not the helpers' parent, and a lock another
    thread held at the fork would stay held in it."""
    global _reaping
    _running.clear()
    _reaping = threading.Lock()


os.register_at_fork(after_in_child=_forget_helpers)


def _reap(wait: bool) -> None:
    with _reaping:
        done = [helper for helper in _running if wait or helper.poll() is not None]
        for helper in done:
            _running.remove(helper)
    for helper in done:
        _finish_checkpoint(helper)


# the helper: a bare interpreter (-I: no site packages, no PYTHON* variables), the standard library's sqlite3
_CHECKPOINT = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA wal_checkpoint(PASSIVE)')"


def _start_checkpoint(path: str) -> subprocess.Popen[str] | None:
    command = [sys.executable, "-I", "-c", _CHECKPOINT, path]
    try:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as exc:  # it only helps: SQLite checkpoints again on its own later
        log.warning("no checkpoint beside the import (SQLite does it later): %s", exc)
        return None


def _finish_checkpoint(helper: subprocess.Popen[str]) -> None:
    _, errors = helper.communicate()
    if helper.returncode:
        last = errors.strip().splitlines()[-1] if errors.strip() else f"exit status {helper.returncode}"
        log.warning("the checkpoint beside the import failed (SQLite does it later): %s", last)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds SQLite's write lock from its first statement (BEGIN IMMEDIATE), so nothing
    it reads can change before it writes; a plain transaction on PostgreSQL (lock what you compare)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def run_transaction(engine: Engine, work: Callable[[Connection], T], attempts: int = ATTEMPTS) -> T:
    """work(conn) in a write_transaction, run again (after a short random pause) when the database reports
    a transient conflict with another transaction. Raises the last error after `attempts` tries."""
    for attempt in range(1, attempts + 1):
        try:
            with write_transaction(engine) as conn:
                return work(conn)
        except Exception as exc:  # DBAPIError, or the driver's own error from a COPY (lanshou.db.pg_copy)
            if attempt == attempts or not is_transient(exc):
                raise
            time.sleep(random.uniform(0.02, 0.1) * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def is_transient(exc: BaseException) -> bool:
    """The database refused because of another transaction: the same work may succeed when run again.
    COPY runs on the driver's cursor (lanshou.db.pg_copy), so psycopg's errors arrive unwrapped too."""
    # psycopg is looked up, not imported: no psycopg error exists in a process that never loaded it (a
    # command on SQLite, whose start it would slow by a tenth of a second)
    psycopg = sys.modules.get("psycopg")
    if isinstance(exc, DBAPIError):
        original: Any = exc.orig
    elif psycopg is not None and isinstance(exc, psycopg.Error):
        original = exc
    else:
        return False
    state = getattr(original, "sqlstate", None)
    if state is not None:
        return state in TRANSIENT_SQLSTATES
    name = str(getattr(original, "sqlite_errorname", ""))
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def lock_exclusively(conn: Connection, name: str) -> None:
    """Hold the lock called `name` until the transaction ends: one holder at a time across processes.
    PostgreSQL: an advisory transaction lock. SQLite: a write_transaction is exclusive already."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})


def lock_if_free(conn: Connection, name: str) -> bool:
    """Take the lock called `name` until the transaction ends if nobody holds it (True), else leave it
    (False) without waiting: lock_exclusively for a writer that has something else to do meanwhile."""
    if conn.dialect.name == "postgresql":
        query = text("SELECT pg_try_advisory_xact_lock(:key)")
        return bool(conn.execute(query, {"key": _lock_key(name)}).scalar_one())
    return True  # a write_transaction holds the database already


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see one committed state (a transaction that writes nothing)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                yield conn
            return
        with conn.begin():
            conn.exec_driver_sql("BEGIN")  # pysqlite would run each SELECT outside a transaction
            yield conn
