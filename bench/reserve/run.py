"""Reservation benchmark: 4 processes reserve order lines for the same hot SKUs on PostgreSQL.

    .venv/bin/python bench/reserve/run.py [--orders 4000] [--procs 4] [--batch 100] [--skus 20]

Creates a scratch database on the server (LANSHOU_BENCH_PG_URL, default the test server's `postgres`
database), fills stock for `--skus` hot SKUs in two warehouses (enough for about 90% of the demand, so the
last orders fight for the last units), and times in the same run:

- **lanshou**: `reserve_orders` in transactions of `--batch` orders (rows locked in id order, one conditional
  UPDATE per line, a savepoint per multi-line order, reservations and ledger rows written by COPY);
- **bare**: the same lines as bare conditional UPDATEs (`... WHERE on_hand - reserved >= q`), batched the
  same way, lines sorted by SKU per batch so the baseline does not deadlock, no savepoints, no bookkeeping.

Each pass runs in `--procs` fresh processes started together. Afterwards the run checks that nothing was
oversold (reserved ≤ on hand everywhere, reserved = what live reservations hold) and the ledger balances.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import datetime
from functools import partial

from sqlalchemy import create_engine, func, select, text

from lanshou.db.engine import make_engine, run_transaction, upgrade
from lanshou.inventory.counts import Count, apply_counts
from lanshou.inventory.queries import ledger_mismatches
from lanshou.inventory.reserve import reserve_orders
from lanshou.schema import reservations, shops, stock

ADMIN = os.environ.get("LANSHOU_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 30, 12, 0)


def orders_for(
    worker: int, count: int, skus: int
) -> list[tuple[tuple[int, str], tuple[tuple[str, int], ...]]]:
    rng = random.Random(worker)
    out = []
    for i in range(count):
        chosen = rng.sample(range(skus), rng.choice((1, 1, 2, 2, 3)))
        needs = tuple(sorted((f"HOT-{n:03d}", rng.randint(1, 2)) for n in chosen))
        out.append(((1, f"B{worker}-{i}"), needs))
    return out


def worker(url: str, mode: str, number: int, count: int, skus: int, batch: int) -> None:
    engine = make_engine(url)
    orders = orders_for(number, count, skus)
    with engine.connect() as conn:  # warm the pool before the start line
        conn.execute(text("select 1"))
    print("ready", flush=True)
    sys.stdin.readline()  # the start signal
    started = time.perf_counter()
    reserved_lines = 0
    if mode == "lanshou":
        for start in range(0, count, batch):
            chunk = orders[start : start + batch]
            done = run_transaction(engine, partial(reserve_orders, orders=chunk, now=NOW))
            reserved_lines += sum(len(needs) for key, needs in chunk if done[key].ok)
    else:
        sql = (
            "UPDATE stock SET reserved = reserved + %(q)s WHERE sku = %(sku)s AND warehouse_id = 1 "
            "AND on_hand - reserved >= %(q)s"
        )
        for start in range(0, count, batch):
            lines = sorted(line for _, needs in orders[start : start + batch] for line in needs)
            with engine.begin() as conn:
                cursor = conn.connection.cursor()  # the driver's cursor: the floor
                for sku, quantity in lines:
                    cursor.execute(sql, {"sku": sku, "q": quantity})
                    reserved_lines += cursor.rowcount
    tried = sum(len(needs) for _, needs in orders)
    print(f"{time.perf_counter() - started:.4f} {reserved_lines} {tried}", flush=True)


def run_pass(url: str, mode: str, procs: int, count: int, skus: int, batch: int) -> tuple[float, int, int]:
    command = [sys.executable, __file__, "--worker", mode, "--url", url]
    command += ["--orders", str(count), "--skus", str(skus), "--batch", str(batch)]
    children = [
        subprocess.Popen(
            [*command, "--number", str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for n in range(procs)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate()[0] for child in children]
    wall = time.perf_counter() - started
    if any(child.returncode for child in children):
        raise SystemExit(f"{mode}: a worker failed")
    return wall, sum(int(out.split()[1]) for out in outputs), sum(int(out.split()[2]) for out in outputs)


def fill(url: str, skus: int, units: int, sites: tuple[str, ...] = ("main", "east")) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("TRUNCATE stock, stock_ledger, reservations, warehouses, shops RESTART IDENTITY CASCADE")
        )
        conn.execute(shops.insert().values(platform="tmall", name="bench"))
        rows = [Count(0, f"HOT-{n:03d}", site, units, None) for n in range(skus) for site in sites]
        apply_counts(conn, rows, NOW)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=4000, help="orders per process")
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--skus", type=int, default=20)
    parser.add_argument("--worker")
    parser.add_argument("--url")
    parser.add_argument("--number", type=int, default=0)
    args = parser.parse_args()
    if args.worker:
        worker(args.url, args.worker, args.number, args.orders, args.skus, args.batch)
        return
    name = f"lanshou_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        upgrade(make_engine(url))
        # demand: orders × ~1.8 lines × 1.5 units, spread over the SKUs; stock for ~90% of it in 2 warehouses
        demand = args.procs * args.orders * 1.8 * 1.5
        units = int(demand * 0.9 / args.skus / 2)
        fill(url, args.skus, units)
        fill(url, args.skus, units * 2, sites=("main",))  # the baseline has one warehouse holding it all
        bare_wall, bare_lines, tried = run_pass(url, "bare", args.procs, args.orders, args.skus, args.batch)
        fill(url, args.skus, units)
        wall, lines, _ = run_pass(url, "lanshou", args.procs, args.orders, args.skus, args.batch)
        engine = make_engine(url)
        with engine.connect() as conn:
            mismatches = ledger_mismatches(conn)
            over = conn.execute(select(func.count()).where(stock.c.reserved > stock.c.on_hand)).scalar_one()
            held = conn.execute(
                select(func.sum(reservations.c.quantity)).where(reservations.c.state == "reserved")
            ).scalar_one()
            total_reserved = conn.execute(select(func.sum(stock.c.reserved))).scalar_one()
        engine.dispose()
        say = print
        say(f"{args.procs} processes x {args.orders} orders ({tried:,} lines), {args.skus} hot SKUs")
        say(f"lanshou reserve_orders:  {tried / wall:7,.0f} lines/s ({lines:,} reserved, {wall:.2f}s)")
        bare = f"{tried / bare_wall:7,.0f} lines/s ({bare_lines:,} reserved, {bare_wall:.2f}s)"
        say(f"bare conditional UPDATE: {bare}")
        say(f"ratio lanshou / bare: {bare_wall / wall:.2f}")
        say(f"oversold rows: {over}; reserved {total_reserved} = held by reservations {held}: "
            f"{total_reserved == held}; ledger mismatches: {len(mismatches)}")  # fmt: skip
        if over or mismatches or total_reserved != held:
            raise SystemExit("FAILED: oversold or ledger out of balance")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
