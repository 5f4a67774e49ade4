"""Alert scan benchmark: a generated database with --parcels parcels in transit (SQLite, or --db-url for
PostgreSQL), then `lanshou.sla.scan.scan_alerts` timed twice: the first scan (opens every alert, writes the
timeline) and a rescan (the steady state the five-minute job lives in: nothing new, nothing to close).

    .venv/bin/python bench/alerts/run.py [--parcels 1000000] [--db-url URL]

Mix at the scan's `now`: ~90% moving normally, 3% stalled, 0.5% silent for days, 2% waiting at a locker,
2% past their lane's p90, 2% after a failed attempt, and 2% of extra parcels of recent orders still
waiting for their first scan.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from lanshou import schema as s
from lanshou.db.bulk import insert_rows
from lanshou.db.engine import open_database
from lanshou.sla.scan import scan_alerts

NOW = datetime(2026, 11, 20, 4, 0)
PLATFORMS = ("douyin", "taobao", "pdd")
BATCH = 20_000


def _parcel(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    number, order_no, shop_id = f"AL{i:010d}", f"A{i:010d}", i % len(PLATFORMS) + 1
    paid = NOW - timedelta(hours=rng.uniform(30, 120))
    pickup = paid + timedelta(hours=rng.uniform(2, 20))
    roll = rng.random()
    status, silent = "in_transit", rng.uniform(0, 20)
    late_after = NOW + timedelta(hours=rng.uniform(5, 80))
    if roll < 0.03:
        silent = rng.uniform(25, 100)
    elif roll < 0.035:
        silent = rng.uniform(130, 300)
    elif roll < 0.055:
        status, silent = "available_for_pickup", rng.uniform(50, 100)
    elif roll < 0.075:
        late_after = NOW - timedelta(hours=rng.uniform(1, 30))
    elif roll < 0.095:
        status = "failed_attempt"
    last = max(pickup, NOW - timedelta(hours=silent))
    order = {"shop_id": shop_id, "order_no": order_no, "status": "shipped", "created_at": paid,
             "paid_at": paid, "province": "广东省", "updated_at": paid}  # fmt: skip
    parcel = {
        "shop_id": shop_id,
        "order_no": order_no,
        "carrier": "zto",
        "tracking_no": number,
        "shipped_at": paid,
    }
    state = {"tracking_no": number, "carrier": "zto", "status": status, "status_at": last,
             "status_seen_at": last, "pickup_at": pickup, "last_event_at": last, "finished": False,
             "late_after": late_after,
             "updated_at": last}  # fmt: skip
    return order, parcel, state


def _unscanned(rng: random.Random, i: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    order, parcel, state = _parcel(rng, i)
    paid = NOW - timedelta(hours=rng.uniform(0, 40))
    order.update(created_at=paid, paid_at=paid, updated_at=paid)
    parcel.update(shipped_at=paid)
    state.update(status=None, status_at=None, status_seen_at=None, pickup_at=None, last_event_at=None,
                 late_after=None, updated_at=paid)  # fmt: skip
    return order, parcel, state


def generate(engine: Engine, parcels: int) -> None:
    rng = random.Random(5)
    with engine.begin() as conn:
        for shop_id, platform in enumerate(PLATFORMS, start=1):
            conn.execute(s.shops.insert().values(id=shop_id, platform=platform, name=f"{platform}店"))
    extra = parcels // 50
    for start in range(0, parcels + extra, BATCH):
        rows = [_parcel(rng, i) if i < parcels else _unscanned(rng, i)
                for i in range(start, min(start + BATCH, parcels + extra))]  # fmt: skip
        with engine.begin() as conn:
            insert_rows(conn, s.orders, [r[0] for r in rows])
            insert_rows(conn, s.parcels, [r[1] for r in rows])
            insert_rows(conn, s.parcel_state, [r[2] for r in rows])
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parcels", type=int, default=1_000_000)
    parser.add_argument("--db-url", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to generate once and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-alerts-") as tmp:
        path = args.keep or Path(tmp) / "alerts.db"
        reuse = args.db_url is None and path.exists()
        engine = open_database(args.db_url or f"sqlite:///{path}")
        started = time.perf_counter()
        if reuse:
            with engine.begin() as conn:  # a kept database: forget the last run's alerts
                conn.execute(s.alerts.delete())
                conn.execute(s.alert_scans.delete())
                conn.execute(s.order_events.delete())
        else:
            generate(engine, args.parcels)
        took = f"in {time.perf_counter() - started:.0f} s, {engine.dialect.name}"
        verb = "reused" if reuse else "generated"
        print(f"{verb} {args.parcels:,} parcels in transit (+{args.parcels // 50:,} unscanned) {took}")
        first = scan_alerts(engine, NOW)
        again = scan_alerts(engine, NOW)
        later = scan_alerts(engine, NOW + timedelta(minutes=5))
        with engine.connect() as conn:
            open_alerts = conn.execute(select(func.count()).select_from(s.alerts)).scalar_one()
        print(
            f"  first scan: {first.candidates:,} candidates, opened {first.opened:,} in {first.seconds:.2f} s"
        )
        print(f"  rescan:     {again.candidates:,} candidates, opened {again.opened}, closed {again.closed} "
              f"in {again.seconds:.2f} s")  # fmt: skip
        print(f"  5 min on:   {later.candidates:,} candidates, opened {later.opened}, closed {later.closed} "
              f"in {later.seconds:.2f} s")  # fmt: skip
        load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        print(f"  alerts stored {open_alerts:,}; {load}")
        met = "met" if max(again.seconds, later.seconds) <= 2 else "NOT met"
        print(f"  target: a scan over {args.parcels:,} parcels in transit <= 2 s: {met} (steady state)")
        engine.dispose()


if __name__ == "__main__":
    main()
