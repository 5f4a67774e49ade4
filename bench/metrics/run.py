"""Metrics benchmark: the 30-day report for all shops from the rollups, beside a full recompute from raw rows.

    .venv/bin/python bench/metrics/run.py [--orders 10000000] [--db PATH] [--repeat 5]

Generates seeded demo data (lanshou.demo) into a SQLite file (kept with --db, so a second run skips the
generation and the rollup build), derives the rollups, then times in the same run:
- the report from the rollups (lanshou.metrics.report, source="rollups"), best and median of --repeat;
- the same report recomputed from the raw tables with the pure engine (source="raw"), once;
and checks that both give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

from lanshou import schema as s
from lanshou.db.engine import open_database
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollups import refresh


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--db", type=Path, default=Path("bench/out/metrics.db"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    engine = open_database(f"sqlite:///{args.db}")
    engine.dispose()
    # another process may derive rollups in the same file meanwhile: wait for its writes, do not fail
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=600000"))
    config = DemoConfig(orders=args.orders)
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(s.orders)).scalar_one()
    if present == 0:
        started = time.perf_counter()
        stats = write_demo(engine, config)
        took = time.perf_counter() - started
        print(f"demo data: {stats.orders:,} orders, {stats.rows:,} rows in {took:.0f} s")
        started = time.perf_counter()
        done = refresh(engine, pack_for)
        took = time.perf_counter() - started
        print(f"rollups derived for {done:,} orders in {took:.0f} s ({done / took:,.0f} orders/s)")
    else:
        print(f"reusing {args.db}: {present:,} orders")
    as_of = config.end + timedelta(days=1)
    with engine.connect() as conn:
        rollup_rows = sum(
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (
                s.rollup_pickup,
                s.rollup_promise,
                s.rollup_feedback,
                s.rollup_delivery,
                s.rollup_freshness,
            )
        )
    print(f"rollup rows in all: {rollup_rows:,}")

    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        fast = metrics_report(engine, as_of, 30, source="rollups")
        times.append(time.perf_counter() - started)
    print(
        f"30-day report, all shops, from rollups: best {min(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms over {args.repeat} runs"
    )
    started = time.perf_counter()
    slow = metrics_report(engine, as_of, 30, source="raw")
    raw_time = time.perf_counter() - started
    print(f"30-day report, all shops, full recompute from raw rows: {raw_time:.1f} s")
    print(f"ratio: the rollups are {raw_time / statistics.median(times):,.0f}x faster")
    fast.pop("source"), slow.pop("source")
    mismatches = report_differences(fast, slow)
    print("same numbers: yes" if not mismatches else f"MISMATCH: {mismatches[:5]}")
    print(json.dumps(fast["all"]["pay_to_pickup"], ensure_ascii=False))


if __name__ == "__main__":
    main()
