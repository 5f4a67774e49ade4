"""Carrier pushes kept raw on arrival, ingested in batches afterwards.

The push endpoints check a push's signature on its raw value, append the raw payload to `tracking_inbox`
and answer as soon as that is committed. `InboxWriter` commits the pushes of a burst together (whatever
arrives while one insert commits goes into the next: one small insert per batch, not per push).

`drain_inbox` ingests the rows oldest first through the write path of `lanshou import tracking`
(`store_jobs` → `record_events`: events stored with duplicates ignored, out-of-order events placed, states
folded, domain events published, then `bus.settle`) and deletes the rows in that same transaction: after a
crash a push is either still waiting or ingested, never both, never neither. Drains in several processes
take turns (a named lock), so each push is ingested once. A row that fails to ingest on its own keeps its
error in the `error` column and is skipped afterwards (the others go on).

Who drains: the `tracking.drain_inbox` job, nudged by the endpoint at most once a second, and every minute
(`tracking.drain_inbox_periodic`), run by `lanshou worker` or `lanshou run`; and reads that must be current
(`tracking show`, the API's parcel read, the metrics) catch up first (`catch_up`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlalchemy import Connection, Engine, delete, select, update

from lanshou.carriers.kuaidi100.push import read_push
from lanshou.db.engine import lock_exclusively, run_transaction
from lanshou.db.pg_copy import copy_into
from lanshou.events import EventBus, bus
from lanshou.tracking.push import PushJob, kuaidi100_job, read_generic_push, store_jobs
from lanshou.tracking.record import utc_now
from lanshou.tracking.tables import tracking_inbox

KUAIDI100, GENERIC = "kuaidi100", "generic"
INBOX_COLUMNS = ("source", "payload", "received_at")
INBOX_LOCK = "lanshou.tracking.inbox"
# pushes per drain transaction: on SQLite the write lock is held for one batch (~1,000 events, tens of ms)
# and the endpoint's inserts wait behind it; PostgreSQL's inserts do not wait, so bigger batches (measured:
# 500 drained 1.9x faster than 100)
DRAIN_BATCH = {"sqlite": 100, "postgresql": 500}
APPEND_BATCH = 1000  # pushes per insert at most
SETTLE_EVERY = 1.0  # seconds: while a backlog drains, subscribers catch up this often, not per batch
NUDGE_EVERY = 1.0  # seconds between two drain jobs queued by one writer
DRAIN_JOB = "tracking.drain_inbox"
log = logging.getLogger("lanshou.tracking.push")


# ── receiving ────────────────────────────────────────────────────────────────────────────────────────────


class InboxWriter:
    """Appends raw pushes to the inbox from an asyncio server: `await writer.append(source, payload)`
    returns once the push is committed (or raises); whatever arrives while one insert commits goes into the
    next. One thread does the inserts on a connection of its own
    (on SQLite with synchronous=FULL: a committed push survives a power cut, not only a crash)."""

    def __init__(
        self,
        engine: Engine,
        nudge: Callable[[], None] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.nudge = nudge
        self.clock = clock
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="lanshou-inbox")
        self._waiting: list[tuple[tuple[str, str, datetime], asyncio.Future[None]]] = []
        self._sql = ""
        self._flusher: asyncio.Task[None] | None = None
        self._conn: Connection | None = None
        self._nudged = 0.0

    def append(self, source: str, payload: str) -> asyncio.Future[None]:
        """Queue one push for the next insert; the future is done once it is committed (or failed).
        Call from the event loop's thread."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append(((source, payload, self.clock()), done))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush(loop))
        return done

    async def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:APPEND_BATCH], self._waiting[APPEND_BATCH:]
                try:
                    await loop.run_in_executor(self._executor, self._insert, [row for row, _ in batch])
                except Exception as exc:
                    log.exception("%d pushes not stored", len(batch))
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():  # a caller that gave up waiting cancelled its own
                            done.set_result(None)
        finally:
            self._flusher = None

    def _insert(self, rows: list[tuple[str, str, datetime]]) -> None:
        if self._conn is None:
            self._conn = self.engine.connect()
            self._sql = _insert_sql(self._conn)
            if self._conn.dialect.name == "sqlite":
                self._conn.exec_driver_sql("PRAGMA synchronous=FULL")
                self._conn.commit()
        try:
            with self._conn.begin():
                if self._conn.dialect.name == "postgresql":  # one COPY, as the other bulk writes do there
                    copy_into(self._conn, tracking_inbox, rows, INBOX_COLUMNS)
                else:  # stored as SQLAlchemy stores a DateTime in SQLite; the driver's own executemany
                    params = [(source, payload, f"{at:%Y-%m-%d %H:%M:%S.%f}") for source, payload, at in rows]
                    self._conn.exec_driver_sql(self._sql, params)
        except Exception:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
            raise
        if self.nudge is not None and time.monotonic() - self._nudged >= NUDGE_EVERY:
            self._nudged = time.monotonic()
            try:
                self.nudge()
            except Exception:  # the pushes are stored: the periodic drain takes them
                log.exception("could not queue the inbox drain")

    def close(self) -> None:
        """Finish the insert under way and release the connection (the app's shutdown)."""
        self._executor.submit(self._release).result(timeout=30)
        self._executor.shutdown(wait=True)

    def _release(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _insert_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {tracking_inbox.name} ({', '.join(INBOX_COLUMNS)}) VALUES ({mark}, {mark}, {mark})"


def enqueue_drain() -> None:
    """The default nudge: queue the drain job on the queue LANSHOU_QUEUE_URL names."""
    from lanshou.jobs import configured_queue

    configured_queue().enqueue(DRAIN_JOB)


# ── draining ─────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Drained:
    pushes: int = 0  # inbox rows ingested (and removed)
    events: int = 0  # carrier events new to the database among them
    failed: int = 0  # rows that failed on their own: kept with their error

    def __add__(self, other: Drained) -> Drained:
        return Drained(self.pushes + other.pushes, self.events + other.events, self.failed + other.failed)


def drain_inbox(
    engine: Engine, events: EventBus = bus, batch: int | None = None, max_seconds: float | None = None
) -> Drained:
    """Ingest waiting pushes, `batch` per transaction (default: DRAIN_BATCH for the database), until none
    is left (or `max_seconds` passed). The subscribers catch up (bus.settle) at least once a second while a
    backlog drains, and at the end."""
    batch = batch or DRAIN_BATCH.get(engine.dialect.name, 100)
    total = Drained()
    started = settled = time.monotonic()
    while max_seconds is None or time.monotonic() - started < max_seconds:
        try:
            done = run_transaction(engine, partial(_drain, events=events, limit=batch))
        except Exception:
            log.exception("ingesting a batch of pushes failed; ingesting them one by one")
            done = _drain_one_by_one(engine, events, batch)
        total += done
        if done.pushes + done.failed < batch:
            break
        if time.monotonic() - settled >= SETTLE_EVERY:
            events.settle(engine)
            settled = time.monotonic()
    events.settle(engine)
    return total


def waiting(engine: Engine) -> bool:
    with engine.connect() as conn:
        found = conn.execute(
            select(tracking_inbox.c.id).where(tracking_inbox.c.error.is_(None)).limit(1)
        ).first()
    return found is not None


def catch_up(engine: Engine, events: EventBus = bus) -> Drained:
    """For reads that must be current: ingest whatever pushes wait (one indexed probe when none do)."""
    return drain_inbox(engine, events) if waiting(engine) else Drained()


def _drain(conn: Connection, events: EventBus, limit: int, ids: Sequence[int] | None = None) -> Drained:
    lock_exclusively(conn, INBOX_LOCK)
    t = tracking_inbox
    query = select(t.c.id, t.c.source, t.c.payload, t.c.received_at).where(t.c.error.is_(None))
    query = query.where(t.c.id.in_(ids)) if ids is not None else query
    rows = conn.execute(query.order_by(t.c.id).limit(limit)).all()
    if not rows:
        return Drained()
    jobs: list[PushJob] = []
    for row in rows:
        try:
            jobs.append(job_of(row.source, row.payload, row.received_at, row.id))
        except ValueError as exc:  # nothing in it can be read: kept for an operator, with the reason
            log.warning("push %d in the inbox cannot be read: %s", row.id, exc)
            conn.execute(update(t).where(t.c.id == row.id).values(error=str(exc)[:2000]))
    new = store_jobs(conn, jobs, events, utc_now())
    conn.execute(delete(t).where(t.c.id.in_([row.id for row in rows]), t.c.error.is_(None)))
    return Drained(len(jobs), new, len(rows) - len(jobs))


def _drain_one_by_one(engine: Engine, events: EventBus, limit: int) -> Drained:
    with engine.connect() as conn:
        t = tracking_inbox
        query = select(t.c.id).where(t.c.error.is_(None)).order_by(t.c.id).limit(limit)
        ids = list(conn.execute(query).scalars())
    total = Drained()
    for inbox_id in ids:
        try:
            total += run_transaction(engine, partial(_drain, events=events, limit=1, ids=[inbox_id]))
        except Exception as exc:
            log.exception("push %d in the inbox could not be ingested; kept with its error", inbox_id)
            with engine.begin() as conn:
                error = f"{type(exc).__name__}: {exc}"[:2000]
                conn.execute(
                    update(tracking_inbox).where(tracking_inbox.c.id == inbox_id).values(error=error)
                )
            total += Drained(failed=1)
    return total


def job_of(source: str, payload: str, received_at: datetime, inbox_id: int = 0) -> PushJob:
    """What a kept push stores, read exactly as the endpoint would have read it on arrival. Parts that
    cannot be read are logged and the rest is kept; raises ValueError when nothing can be read."""
    if source == KUAIDI100:
        outcome = read_push(payload)
        if not outcome.accepted:
            raise ValueError(outcome.message)
        for problem in outcome.problems:
            log.warning("kuaidi100 push %d for %s: %s", inbox_id, outcome.tracking_no, problem)
        return kuaidi100_job(outcome, received_at)
    if source == GENERIC:
        try:
            document = json.loads(payload)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"不是 JSON not JSON: {exc}") from None
        return PushJob(read_generic_push(document).rows)  # PushRejected is a ValueError
    raise ValueError(f"未知来源 unknown source {source!r}")
