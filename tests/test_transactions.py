"""Transactions beside other processes (lanshou.db.engine), on SQLite and PostgreSQL: a snapshot for readers,
the write lock from BEGIN on SQLite, the rollup lock, retries of transient conflicts, shops made once."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lanshou import schema as s
from lanshou.db import engine as engine_module
from lanshou.db.engine import (
    checkpointing_beside,
    finish_checkpoints,
    lock_exclusively,
    make_engine,
    read_snapshot,
    run_transaction,
    write_transaction,
)
from lanshou.intake.orders import import_orders
from lanshou.shops.store import ShopDirectory
from tests.concurrency_data import write_files


def shop_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.shops)).scalar_one())


def add_shop(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(s.shops.insert(), {"platform": "tmall", "name": name})


def test_a_snapshot_reads_one_committed_state(engine: Engine) -> None:
    add_shop(engine, "a")
    with read_snapshot(engine) as conn:
        assert shop_count(conn) == 1
        add_shop(engine, "b")  # another transaction commits meanwhile
        assert shop_count(conn) == 1  # still the state the snapshot began with
    with engine.connect() as conn:
        assert shop_count(conn) == 2


def test_sqlite_write_transaction_holds_the_lock_before_it_writes(sqlite_engine: Engine) -> None:
    impatient = make_engine(str(sqlite_engine.url))
    try:
        with write_transaction(sqlite_engine) as conn:
            shop_count(conn)  # only read so far, yet no other writer may begin
            with impatient.connect() as other:
                other.exec_driver_sql("PRAGMA busy_timeout=50")
                with pytest.raises(OperationalError, match="locked"):
                    other.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        impatient.dispose()


def test_the_named_lock_lets_one_transaction_through_at_a_time(engine: Engine) -> None:
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with write_transaction(engine) as conn:
            lock_exclusively(conn, "test-lock")
            held.set()
            time.sleep(0.3)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    with write_transaction(engine) as conn:  # SQLite: BEGIN IMMEDIATE waits; PostgreSQL: the advisory lock
        lock_exclusively(conn, "test-lock")
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]


def test_a_transient_conflict_is_tried_again_a_real_error_is_raised(engine: Engine) -> None:
    add_shop(engine, "taken")
    attempts: list[int] = []

    def work(conn: Connection) -> int:
        attempts.append(1)
        name = "taken" if len(attempts) == 1 else "free"  # the first try collides with a stored key
        conn.execute(s.shops.insert(), {"platform": "tmall", "name": name})
        return len(attempts)

    if (
        engine.dialect.name == "postgresql"
    ):  # a unique violation: another transaction was first; read it again
        assert run_transaction(engine, work) == 2
    else:  # SQLite's write transaction holds the database: a unique violation is no race, but an error
        with pytest.raises(IntegrityError):
            run_transaction(engine, work)
        assert len(attempts) == 1


def test_a_shop_made_in_a_transaction_that_rolled_back_is_made_again(engine: Engine) -> None:
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        shops.ensure(conn, "douyin", "新店")
        raise RuntimeError("the batch failed")
    with engine.begin() as conn:
        shop_id = shops.ensure(conn, "douyin", "新店")
        assert conn.execute(select(s.shops.c.name).where(s.shops.c.id == shop_id)).scalar_one() == "新店"
    with engine.begin() as conn:  # known to be committed now: no more look-ups
        assert shops.ensure(conn, "douyin", "新店") == shop_id


def in_the_file_alone(engine: Engine, tmp_path: Path, query: str) -> list[tuple[object, ...]]:
    """What the SQLite database file holds without its write-ahead log (a copy opened beside no log)."""
    alone = tmp_path / "alone.db"
    shutil.copy(str(engine.url.database), alone)
    with sqlite3.connect(alone) as conn:
        return conn.execute(query).fetchall()


def test_sqlite_log_goes_into_the_file_beside_a_writer(sqlite_engine: Engine, tmp_path: Path) -> None:
    add_shop(sqlite_engine, "committed")  # in the log, not yet in the file
    names = "SELECT name FROM shops ORDER BY name"
    assert in_the_file_alone(sqlite_engine, tmp_path, names) == []
    with write_transaction(sqlite_engine) as conn:  # a writer holds the write lock throughout
        conn.execute(s.shops.insert(), {"platform": "tmall", "name": "pending"})
        with checkpointing_beside(sqlite_engine):
            pass  # it copies what was committed without waiting for the writer
        finish_checkpoints()
        assert in_the_file_alone(sqlite_engine, tmp_path, names) == [("committed",)]
    with sqlite_engine.connect() as conn:  # the log still holds what came after
        assert conn.exec_driver_sql(names).all() == [("committed",), ("pending",)]


def test_a_checkpoint_that_fails_is_one_warning_and_the_block_goes_on(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(engine_module, "_CHECKPOINT", "raise SystemExit('disk I/O error')")
    ran = []
    with checkpointing_beside(sqlite_engine):
        ran.append(1)
    assert ran == [1]
    finish_checkpoints()
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "lanshou.db"]
    assert warning == "the checkpoint beside the import failed (SQLite does it later): disk I/O error"


def test_the_block_does_not_wait_for_its_checkpoint(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An import returns once its own work is done; the helper finishes on its own, and is reaped."""
    finish_checkpoints()  # none left from earlier tests of this process
    go = Path(f"{sqlite_engine.url.database}.go")  # the helper waits for it (its argument: the database)
    waits = "import os, sys, time\nwhile not os.path.exists(sys.argv[1] + '.go'): time.sleep(0.01)"
    monkeypatch.setattr(engine_module, "_CHECKPOINT", waits)
    try:
        with checkpointing_beside(sqlite_engine):
            pass
        (helper,) = engine_module._running
        assert helper.poll() is None  # still waiting for the go: the block did not wait for it
    finally:
        go.touch()  # whatever happened, no helper is left waiting
    finish_checkpoints()
    assert engine_module._running == [] and helper.returncode == 0


def test_an_import_leaves_what_it_stored_in_the_sqlite_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    files = write_files(tmp_path, orders=30, slices=1)
    report = import_orders(sqlite_engine, files.orders[0], rejects=tmp_path / "orders.rej.csv")
    assert report.inserted == 30
    finish_checkpoints()
    stored = in_the_file_alone(sqlite_engine, tmp_path, "SELECT count(*) FROM orders")
    assert stored == [(30,)]


def test_a_sqlite_log_grown_by_a_bulk_write_is_cut_back_when_it_starts_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "WAL_KEPT_BYTES", 65_536)
    path = tmp_path / "grown.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE bulk (x TEXT)")
            many = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
            conn.exec_driver_sql(f"INSERT INTO bulk {many} SELECT hex(randomblob(500)) FROM n")
        log = Path(f"{path}-wal")
        assert log.stat().st_size > 1_000_000
        with checkpointing_beside(engine):
            pass
        finish_checkpoints()  # every frame is in the file now: the next write starts the log over
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO bulk VALUES ('one more')")
        assert log.stat().st_size <= 65_536 + 8_192  # cut back to the limit (plus the frame just written)
    finally:
        engine.dispose()
