"""The connection the API keeps for its short reads on the event loop (lanshou.api.loop_reads)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, bindparam, func, select, text
from sqlalchemy.exc import DBAPIError

from lanshou.api.loop_reads import LoopReads
from lanshou.db.driver_reads import fetch_all
from lanshou.db.engine import make_engine

BACKEND = select(func.pg_backend_pid().label("pid"), bindparam("tag").label("tag"))


def test_reads_share_one_connection_and_a_failed_statement_keeps_it(engine: Engine) -> None:
    reads = LoopReads(engine)
    first = reads.run(lambda conn: conn)
    with pytest.raises(DBAPIError):
        reads.run(lambda conn: conn.execute(text("SELECT * FROM no_such_table")))
    assert reads.run(lambda conn: conn) is first  # autocommit: nothing to roll back, nothing lost
    assert reads.run(lambda conn: conn.execute(text("SELECT 1")).scalar_one()) == 1
    reads.close()
    assert first.closed


@pytest.fixture
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """PostgreSQL only: a server whose backend can be terminated under the kept connection."""
    engine = make_engine(pg_database)
    yield engine
    engine.dispose()


def test_a_connection_the_server_dropped_is_replaced_and_the_read_run_again(pg_engine: Engine) -> None:
    engine = pg_engine

    def backend(conn: Connection) -> int:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())

    reads = LoopReads(engine)
    pid = reads.run(backend)
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.commit()
    time.sleep(0.2)
    assert reads.run(backend) != pid  # no error for the caller: the read ran once more, on a new connection
    reads.close()


def test_the_driver_level_read_is_replaced_and_run_again_too(pg_engine: Engine) -> None:
    engine = pg_engine
    reads = LoopReads(engine)
    row = reads.run(lambda conn: fetch_all(conn, BACKEND, {"tag": "a"}))[0]
    assert row.tag == "a"
    with engine.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": row.pid})
        other.commit()
    time.sleep(0.2)
    again = reads.run(lambda conn: fetch_all(conn, BACKEND, {"tag": "b"}))[0]
    assert again.pid != row.pid and again.tag == "b"
    with pytest.raises(DBAPIError):  # a driver error is SQLAlchemy's, and the connection stays
        reads.run(lambda conn: fetch_all(conn, BACKEND, {"tag": "\x00"}))
    assert reads.run(lambda conn: fetch_all(conn, BACKEND, {"tag": "c"}))[0].pid == again.pid
    reads.close()
