"""Metrics benchmark: the rollup derivation and the 30-day report for all shops from the rollups, beside a
recompute from raw rows and the ceiling of the same database, on SQLite or PostgreSQL.

    .venv/bin/python bench/metrics/run.py [--orders 10000000] [--database-url URL | --db PATH] [--repeat 5]
                                          [--explain]

--database-url: `sqlite:///path.db` (default: sqlite:///bench/out/metrics.db; --db PATH is the same) or a
PostgreSQL database URL (`postgresql://postgres@127.0.0.1:5432/lanshou_metrics`: created when missing). The
database is kept: a second run with the same URL skips the generation and the derivation.

Generates seeded demo data (lanshou.demo), derives every order's rollups (lanshou.metrics.rollups.rebuild,
timed: orders/s) in one process, then again in two (a forked child takes half the marks), then times in the
same run:
- the report from the rollups (lanshou.metrics.report, source="rollups"), best and median of --repeat, and on
  PostgreSQL each of its SQL statements under EXPLAIN ANALYZE (--explain prints the plans);
- the same report recomputed from the raw tables with the pure engine (source="raw"), once;
- the ceiling: a bare executemany (SQLite) or COPY (PostgreSQL) of as many rows as the derivation wrote;
and checks that both reports give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch import CpuMeter, is_postgres

from lanshou import schema as s
from lanshou.db.engine import open_database
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.metrics.compare import report_differences
from lanshou.metrics.packs import pack_for
from lanshou.metrics.report import metrics_report
from lanshou.metrics.rollups import rebuild
from lanshou.tracking.rebuild import rebuild_states

ROLLUPS = ("rollup_pickup", "rollup_promise", "rollup_feedback", "rollup_delivery", "rollup_freshness")


def _ensure_pg_database(url: str) -> str:
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1) if "+" not in url else url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if (
            conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
            is None
        ):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return parsed.render_as_string(hide_password=False)


def _ceiling(url: str, rows: list[tuple[Any, ...]]) -> float:
    """Seconds for a bare executemany (SQLite) or COPY (PostgreSQL) of these rows into a plain table."""
    width = len(rows[0])
    columns = ", ".join(f"c{i} TEXT" for i in range(width))
    texts = [tuple(None if v is None else str(v) for v in row) for row in rows]
    if not is_postgres(url):
        db = Path(make_url(url).database or "metrics.db").with_suffix(".plain")
        db.unlink(missing_ok=True)
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"CREATE TABLE plain ({columns})")
        started = time.perf_counter()
        for first in range(0, len(texts), 2000):
            conn.executemany(
                f"INSERT INTO plain VALUES ({', '.join('?' * width)})", texts[first : first + 2000]
            )
            conn.commit()
        seconds = time.perf_counter() - started
        conn.close()
        db.unlink(missing_ok=True)
        return seconds
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        conn.execute(f"CREATE TEMP TABLE plain ({columns})")
        started = time.perf_counter()
        for first in range(0, len(texts), 2000):
            with conn.cursor().copy("COPY plain FROM STDIN") as copy:
                for row in texts[first : first + 2000]:
                    copy.write_row(row)
            conn.commit()
        return time.perf_counter() - started


def _explain(engine: Engine, as_of: Any, show: bool) -> None:
    """Each SQL statement of one report from the rollups, under EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL)."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    metrics_report(engine, as_of, 30, source="rollups")
    event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in seen:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
            tables = sorted(
                {w for w in statement.replace(",", " ").split() if w.startswith(("rollup_", "metric_"))}
            )
            took = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"  {' '.join(tables)[:60]:<60} {took}")
            if show:
                print("\n".join("      " + line for line in plan))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--db", type=Path, default=Path("bench/out/metrics.db"), help="a SQLite file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the report's query plans (PostgreSQL)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{args.db}"
    if is_postgres(url):
        url = _ensure_pg_database(url)
    else:
        Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    engine = open_database(url)
    engine.dispose()
    if not is_postgres(url):  # another process may derive in the same file meanwhile: wait, do not fail
        event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=600000"))
    print(f"database: {'PostgreSQL' if is_postgres(url) else 'SQLite'} {url.split('@')[-1]}")
    config = DemoConfig(orders=args.orders)
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(s.orders)).scalar_one()
    derive_rate = None
    if present == 0:
        started = time.perf_counter()
        stats = write_demo(engine, config)
        took = time.perf_counter() - started
        print(f"demo data: {stats.orders:,} orders, {stats.rows:,} rows in {took:.0f} s "
              f"({stats.orders / took:,.0f} orders/s)")  # fmt: skip
        started = time.perf_counter()  # as `lanshou demo` does: the raw report's window reads the states
        states = rebuild_states(engine)
        print(f"parcel states: {states.parcels:,} parcels in {time.perf_counter() - started:.0f} s")
        meter = CpuMeter(engine)
        for two_processes in (False, True):  # issue 9 asks for one; a second core takes half the orders
            started, cpu = time.perf_counter(), sum(meter.seconds())
            done = rebuild(engine, pack_for, two_processes=two_processes)
            took, cpu = time.perf_counter() - started, sum(meter.seconds()) - cpu
            derive_rate = done / took
            print(f"rollup derivation ({'two processes' if two_processes else 'one process'}): {done:,} "
                  f"orders in {took:.1f} s ({derive_rate:,.0f} orders/s); CPU {cpu:.1f} s incl. the "
                  f"server's ({done / cpu:,.0f} orders per CPU-second)")  # fmt: skip
    else:
        print(f"reusing the database: {present:,} orders (no derivation timed)")
    as_of = config.end + timedelta(days=1)
    with engine.connect() as conn:
        rollup_rows = sum(
            conn.execute(select(func.count()).select_from(s.metadata.tables[t])).scalar_one() for t in ROLLUPS
        )
        derived = [tuple(r) for r in conn.execute(select(s.metric_orders)).all()]
    print(f"rollup rows in all: {rollup_rows:,}")
    if derive_rate is not None and derived:
        bare = len(derived) / _ceiling(url, derived)
        bare_name = "bare COPY" if is_postgres(url) else "bare sqlite3.executemany"
        print(f"{bare_name} of the {len(derived):,} derived order rows (ceiling): {bare:,.0f} rows/s")
        print(f"ratio derivation / ceiling: {derive_rate / bare:.3f}")
    if is_postgres(url):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does after a bulk load: stats, visibility

    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        fast = metrics_report(engine, as_of, 30, source="rollups")
        times.append(time.perf_counter() - started)
    print(
        f"30-day report, all shops, from rollups: best {min(times) * 1000:.0f} ms, "
        f"median {statistics.median(times) * 1000:.0f} ms over {args.repeat} runs"
    )
    if is_postgres(url):
        print("its statements under EXPLAIN ANALYZE:")
        _explain(engine, as_of, args.explain)
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
