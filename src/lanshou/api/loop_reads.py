"""Short indexed reads run on the event loop itself, over a connection kept for the thread that runs them.

The token check of every API request and the look-up of one order by number are one indexed statement
each (a fraction of a millisecond). Run in a worker thread (a `def` dependency or route) each cost two
thread hops and a pool checkout with its pre-ping round trip: more CPU than the statement. Run here, they
block the loop for the statement's time and cost neither.

Only statements that use an index and touch a handful of rows belong here: while one runs, the process
answers nothing else. Anything that may scan stays in a worker thread (`run_in_threadpool`).

The connection is autocommit (each statement sees the newest committed state; nothing is cached, so a
deleted token or a withdrawn grant counts from the next request) and is not pre-pinged: when the database
dropped it (a restart, a failover), the statement fails as a disconnect, and the read is run once more on
a new connection. Reads only: running one twice is harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")


class LoopReads:
    """One autocommit connection per thread that reads through it (the event loop's thread, in a server
    process), checked out of the engine's pool once and kept."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Connection] = []

    def run(self, read: Callable[[Connection], T]) -> T:
        """`read(conn)`: the connection is used by nothing else while it runs (one thread, no await)."""
        conn = self._connection()
        try:
            return read(conn)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        self._drop(conn)  # the database dropped it: once more on a new connection
        return read(self._connection())

    def close(self) -> None:
        """Return every kept connection to the pool (the app's shutdown)."""
        with self._lock:
            kept, self._all = self._all, []
        for conn in kept:
            conn.close()
        self._local = threading.local()

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                self._drop(conn)
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self, conn: Connection) -> None:
        self._local.conn = None
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()
