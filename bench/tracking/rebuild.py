"""The demo's parcel states: what `lanshou demo` adds after writing, against the write path it replaces.

    .venv/bin/python bench/tracking/rebuild.py --orders 20000
    .venv/bin/python bench/tracking/rebuild.py --orders 20000 --database-url postgresql://postgres@127.0.0.1:5432/test

In one scratch database: the demo written (quiet bus, as the metrics benches do), then
1. `rebuild_states` (lanshou.tracking.rebuild: keyset reads, pure fold, bulk writes; lanes, ETA pass),
2. the alert scan over every parcel (what `lanshou demo` runs after it),
3. the baseline, same run: the parcel states dropped and the same events sent through `record_events` in
   batches of whole parcels on a quiet bus, with the lanes already known (so it does less: no lane pass) —
   the route the audit tried for the demo —
then the two resulting state tables compared row by row (updated_at aside). Each step prints wall seconds,
CPU seconds (this process; on PostgreSQL the server's backends too) and events per CPU-second.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch import CpuMeter, is_postgres, scratch_database

from lanshou import schema as s
from lanshou.db.engine import open_database
from lanshou.demo.generator import DemoConfig
from lanshou.demo.writer import write_demo
from lanshou.events import EventBus
from lanshou.sla.scan import scan_alerts
from lanshou.tracking.lanes import forget_lane_books
from lanshou.tracking.rebuild import rebuild_states
from lanshou.tracking.record import EVENT_COLUMNS, record_events, utc_now

RECORD_BATCH = 5_000  # events per record_events call (whole parcels), as an import batch


def timed(meter: CpuMeter, work: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds incl. the server's)."""
    started, cpu = time.perf_counter(), sum(meter.seconds())
    result = work()
    return result, time.perf_counter() - started, sum(meter.seconds()) - cpu


def report(name: str, wall: float, cpu: float, events: int) -> None:
    print(f"{name:<34} {wall:8.1f} s wall {cpu:8.1f} s CPU {events / cpu:12,.0f} events/CPU-s")


def states(engine: Any) -> dict[str, tuple[Any, ...]]:
    columns = [c for c in s.parcel_state.c if c.name not in ("updated_at", "polled_at")]
    with engine.connect() as conn:
        return {row[0]: tuple(row) for row in conn.execute(select(*columns))}


def through_record_events(engine: Any) -> int:
    """Every stored event again through the write path, whole parcels per batch; returns the batches."""
    e = s.tracking_events
    query = select(*(e.c[c] for c in EVENT_COLUMNS)).order_by(e.c.tracking_no, e.c.event_time)
    with engine.connect() as conn:
        rows = [{**r._asdict(), "status": r.status or None} for r in conn.execute(query)]
    batches, start = 0, 0
    while start < len(rows):
        end = min(start + RECORD_BATCH, len(rows))
        while end < len(rows) and rows[end]["tracking_no"] == rows[end - 1]["tracking_no"]:
            end += 1
        with engine.begin() as conn:
            record_events(conn, rows[start:end], EventBus())
        batches, start = batches + 1, end
    return batches


def run(url: str, orders: int) -> None:
    engine = open_database(url)
    meter = CpuMeter(engine)
    config = DemoConfig(orders=orders)
    stats, wall, cpu = timed(meter, lambda: write_demo(engine, config, events=EventBus()))
    print(f"demo written: {stats.orders:,} orders, {stats.rows:,} rows: {wall:.1f} s wall, {cpu:.1f} s CPU")
    forget_lane_books()
    rebuilt, wall, cpu = timed(meter, lambda: rebuild_states(engine))
    events = rebuilt.events
    print(f"events {events:,}, parcels {rebuilt.parcels:,} (+{rebuilt.bare:,} bare), lanes {rebuilt.lanes:,}")
    report("rebuild_states", wall, cpu, events)
    quiet = EventBus()
    scanned, wall_scan, cpu_scan = timed(
        meter, lambda: scan_alerts(engine, utc_now(), full=True, events=quiet)
    )
    print(
        f"alert scan (full, quiet): {scanned.opened:,} opened: {wall_scan:.1f} s wall, {cpu_scan:.1f} s CPU"
    )
    by_rebuild = states(engine)
    with engine.begin() as conn:
        conn.execute(delete(s.parcel_state))
    forget_lane_books()
    batches, wall_rec, cpu_rec = timed(meter, lambda: through_record_events(engine))
    report(f"baseline record_events ({batches} calls)", wall_rec, cpu_rec, events)
    by_record = states(engine)
    tracked = set(by_record)
    same = by_record == {n: row for n, row in by_rebuild.items() if n in tracked}
    print(f"same states as the write path: {'yes' if same else 'NO'} ({len(tracked):,} parcels with events)")
    print(f"rebuild vs record_events: {cpu_rec / cpu:.1f}x less CPU, {wall_rec / wall:.1f}x less wall time")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--database-url", default="sqlite:///bench/out/rebuild.db")
    args = parser.parse_args()
    print(f"database: {'PostgreSQL' if is_postgres(args.database_url) else 'SQLite'}")
    if not is_postgres(args.database_url):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with scratch_database(args.database_url) as url:
        run(url, args.orders)


if __name__ == "__main__":
    main()
