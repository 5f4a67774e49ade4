"""Derive the metric rollups of a demo database in several processes at once (one per core).

    .venv/bin/python bench/metrics/derive_parallel.py bench/out/metrics.db --processes 2

The first build of the rollups (`lanshou.metrics.rollups.refresh`) runs in one process at 3.6k orders/s, about
45 minutes for 10M orders. Here each process takes the dirty orders whose row number falls in its share,
reads and derives them in a read transaction (that is most of the work, and it runs in parallel), then writes
the derived rows and rollup deltas in a short BEGIN IMMEDIATE transaction, which reads the old derived rows
it replaces (the deltas add up, in any order). The derived rows are only as new as the read transaction:
use it on a demo database after generation, not on a live one (there `lanshou.metrics.rollups.refresh`
reads and writes under one lock).

Tried and dropped: deriving alongside the generator. A reader always on the write-ahead log keeps SQLite from
resetting it; the log grew past 1.7 GB and generation slowed from 2.5k to 1.6k orders/s.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, text

from lanshou import schema as s
from lanshou.db.engine import _sqlite_pragmas, checkpoint, open_database
from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollups import BATCH, derive_orders, write_derived


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db", type=Path)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    open_database(f"sqlite:///{args.db}").dispose()  # at the code's schema before deriving with it
    started = time.perf_counter()
    workers = [
        mp.get_context("fork").Process(target=derive_share, args=(args.db, k, args.processes))
        for k in range(args.processes)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if any(worker.exitcode for worker in workers):
        raise SystemExit("a deriving process failed")
    engine = create_engine(f"sqlite:///{args.db}")
    checkpoint(engine)
    took = time.perf_counter() - started
    print(
        f"{time.strftime('%H:%M:%S')} all derived in {took:.0f} s with {args.processes} processes", flush=True
    )


def derive_share(db: Path, share: int, shares: int) -> None:
    url = f"sqlite:///{db}"
    writer = create_engine(url, connect_args={"isolation_level": None})
    reader = create_engine(url)
    for engine in (writer, reader):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=600000"))

    @event.listens_for(writer, "begin")
    def _immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    mine = text(
        "SELECT id, shop_id, order_no FROM metric_dirty_orders WHERE id % :n = :k ORDER BY id LIMIT :batch"
    )
    marks = s.metric_dirty_orders
    total, started = 0, time.perf_counter()
    while True:
        with reader.begin() as conn:  # the reading and deriving run in parallel with the other processes
            rows = conn.execute(mine, {"n": shares, "k": share, "batch": BATCH}).all()
            keys = sorted({(r.shop_id, r.order_no) for r in rows})
            derived = derive_orders(conn, keys, pack_for)
        if not keys:
            break
        with writer.begin() as conn:
            write_derived(conn, derived, pack_for)
            conn.execute(delete(marks).where(marks.c.id.in_([r.id for r in rows])))
        total += len(keys)
        if total % 200_000 < BATCH:
            took = time.perf_counter() - started
            print(
                f"{time.strftime('%H:%M:%S')} process {share}: {total:,} orders, {total / took:,.0f}/s",
                flush=True,
            )
    took = time.perf_counter() - started
    print(
        f"process {share}: derived {total:,} orders in {took:.0f} s ({total / max(took, 1e-9):,.0f}/s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
