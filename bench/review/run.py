"""Review benchmark: `review_orders` over generated paid orders in a fresh SQLite file, beside a bare loop.

    .venv/bin/python bench/review/run.py [--orders 50000] [--rules 5] [--profile FILE]

Fills a fresh SQLite database (through the migrations) with `--orders` paid orders of 1–3 lines over 500 SKUs,
stock for all of them in two warehouses, some buyer messages, big amounts, repeat buyers and presale orders,
and `--rules` merchant review rules; then times in the same run:

- **lanshou**: `lanshou.review.run.review_orders` end to end (built-in holds, rules in CEL, deadlines, stock
  reservations with their ledger, review state, timeline entries, the OrdersAccepted event);
- **bare**: one `sqlite3` SELECT of the same orders and an `executemany` of one state row per order into a
  plain table — the floor for "read every order and write a decision".
"""

from __future__ import annotations

import argparse
import cProfile
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import make_engine, upgrade
from lanshou.inventory.counts import Count, apply_counts
from lanshou.review.run import review_orders
from lanshou.rules.store import add_rule
from lanshou.schema import order_lines, orders, shops

NOW = datetime(2026, 11, 30, 12, 0)
RULES = [
    ("vip", "buyer.orders >= 3", "tag:老客"),
    ("fresh", "categories.exists(c, c == '生鲜')", "priority:8"),
    ("remote", "province in ['新疆', '西藏', '青海']", "hold:偏远地区"),
    ("bulk", "total_quantity >= 5", "tag:多件"),
    ("night", "is_paid && paid_at.getHours('Asia/Shanghai') >= 23", "tag:深夜单"),
]
PROVINCES = ["浙江省", "广东省", "江苏省", "北京市", "新疆", "四川省"]
COLUMNS = [
    "shop_id",
    "order_no",
    "status",
    "created_at",
    "paid_at",
    "is_presale",
    "promised_ship_by",
    "buyer_key",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "buyer_message",
    "order_amount",
    "updated_at",
]


def fill(path: Path, count: int, rules: int, seed: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = random.Random(seed)
    with engine.begin() as conn:
        conn.execute(shops.insert().values(platform="tmall", name="bench"))
        apply_counts(
            conn,
            [Count(0, f"SKU-{n:03d}", s, 10**6, None) for n in range(500) for s in ("main", "east")],
            NOW,
        )
        for name, condition, action in RULES[:rules]:
            add_rule(conn, name, "review", condition, action)
        order_rows, line_rows = [], []
        for i in range(count):
            paid = NOW - timedelta(minutes=rng.randint(0, 4000))
            presale = rng.random() < 0.03
            due = paid + timedelta(days=rng.choice((2, 10))) if presale else None
            buyer = f"b{rng.randint(0, count // 2)}"
            message = "请尽快发货" if rng.random() < 0.05 else ""
            place = (rng.choice(PROVINCES), "某市", "某区", f"幸福路{i}号")
            amount = Decimal(rng.randint(10, 6000))
            order_rows.append(
                (
                    1,
                    f"R{i:07d}",
                    "paid",
                    paid,
                    paid,
                    presale,
                    due,
                    buyer,
                    "王五",
                    "13700000000",
                    *place,
                    message,
                    amount,
                    NOW,
                )
            )
            for n, sku in enumerate(rng.sample(range(500), rng.randint(1, 3))):
                line_rows.append(
                    (1, f"R{i:07d}", str(n), f"SKU-{sku:03d}", "生鲜" if sku < 20 else "", rng.randint(1, 3))
                )
        insert_rows(conn, orders, order_rows, COLUMNS)
        insert_rows(
            conn, order_lines, line_rows, ("shop_id", "order_no", "line_key", "sku", "category", "quantity")
        )
    engine.dispose()


def bare(path: Path) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE bare_state (shop_id INTEGER, order_no TEXT, state TEXT, reasons TEXT)")
    started = time.perf_counter()
    rows = conn.execute(
        "SELECT o.shop_id, o.order_no, o.buyer_message, o.order_amount, l.sku, l.quantity "
        "FROM orders o JOIN order_lines l ON l.shop_id = o.shop_id AND l.order_no = o.order_no "
        "WHERE o.status = 'paid'"
    ).fetchall()
    decided = {}
    for shop_id, order_no, message, _amount, _sku, _quantity in rows:
        decided[(shop_id, order_no)] = (shop_id, order_no, "held" if message else "accepted", "")
    conn.executemany("INSERT INTO bare_state VALUES (?, ?, ?, ?)", list(decided.values()))
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        fill(path, args.orders, args.rules, args.seed)
        bare_seconds = bare(path)
        engine = make_engine(f"sqlite:///{path}")
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        report = review_orders(engine, now=NOW)
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        n = len(report.results)
        print(
            f"{n:,} orders reviewed ({report.accepted:,} accepted, {report.held:,} held), {args.rules} rules"
        )
        print(f"lanshou review_orders: {n / seconds:,.0f} orders/s wall, {n / cpu_seconds:,.0f} orders/s CPU")
        print(f"bare SELECT + executemany: {args.orders / bare_seconds:,.0f} orders/s")
        print(f"ratio lanshou / bare: {bare_seconds / seconds * n / args.orders:.2f}")


if __name__ == "__main__":
    main()
