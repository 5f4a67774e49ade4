"""How long `lanshou stats` takes to read 30 days from the rollups of a 10M-order database.

The rollups are filled directly with rows of the size 10M orders over 90 days give (20 shops, ~5,500 orders
per shop and day, `--skus` SKUs sold per shop and day, 30 categories, 31 provinces, returns by SKU and
reason), then `stats_report` runs for the last 30 days, all shops and one shop; in the same run a bare
`SELECT sum(...) FROM stats_daily` over the same days is timed as the baseline.

    .venv/bin/python bench/stats/run.py                      # SQLite in a temp dir
    .venv/bin/python bench/stats/run.py --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_stats
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import make_engine, upgrade
from lanshou.shops.tables import shops
from lanshou.stats import tables as t
from lanshou.stats.report import stats_report

SHOPS, DAYS, CATEGORIES, PROVINCES, REASONS = 20, 90, 30, 31, ("quality", "damaged", "no_reason", "other")
ORDERS_PER_DAY = 10_000_000 // (SHOPS * DAYS)
FIRST = date(2026, 8, 1)


def fill(url: str, skus: int, seed: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(seed)
    with engine.begin() as conn:
        for table in (*t.ROLLUPS, shops):
            conn.execute(table.delete())
        insert_rows(
            conn, shops, [{"id": i, "platform": "taobao", "name": f"shop{i}"} for i in range(1, SHOPS + 1)]
        )
    for shop in range(1, SHOPS + 1):
        daily, cats, sku_rows, provs, rets = [], [], [], [], []
        for d in range(DAYS):
            day = FIRST + timedelta(days=d)
            orders = ORDERS_PER_DAY + rng.randint(-500, 500)
            daily.append(
                (
                    shop,
                    day,
                    orders,
                    Decimal(orders * 120),
                    orders // 3,
                    orders // 20,
                    orders // 30,
                    orders // 25,
                    Decimal(orders * 3),
                    Decimal(orders),
                )
            )
            cats += [
                (shop, day, f"cat{c}", orders // CATEGORIES, Decimal(orders * 4)) for c in range(CATEGORIES)
            ]
            sku_rows += [
                (
                    shop,
                    day,
                    f"SKU-{shop}-{k}",
                    orders // skus + 1,
                    orders // skus + 2,
                    Decimal(orders // skus * 120),
                )
                for k in range(skus)
            ]
            provs += [
                (shop, day, f"prov{p}", orders // PROVINCES, Decimal(orders * 4)) for p in range(PROVINCES)
            ]
            rets += [
                (shop, day, f"SKU-{shop}-{rng.randrange(skus)}", r, 2, 3, Decimal(40))
                for r in REASONS
                for _ in range(25)
            ]
        rets = list({row[:4]: row for row in rets}.values())
        with engine.begin() as conn:
            insert_rows(
                conn,
                t.stats_daily,
                daily,
                (
                    "shop_id",
                    "day",
                    "orders",
                    "sales",
                    "repeat_orders",
                    "cases",
                    "returns",
                    "refunds",
                    "refunded",
                    "resent",
                ),
            )
            insert_rows(conn, t.stats_category, cats, ("shop_id", "day", "category", "quantity", "sales"))
            insert_rows(conn, t.stats_sku, sku_rows, ("shop_id", "day", "sku", "orders", "quantity", "sales"))
            insert_rows(conn, t.stats_province, provs, ("shop_id", "day", "province", "orders", "sales"))
            insert_rows(
                conn,
                t.stats_returns,
                [(*r[:4], r[4], r[5], r[6]) for r in rets],
                ("shop_id", "day", "sku", "reason_code", "returns", "cases", "refunded"),
            )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    engine.dispose()


def timed(job: object, runs: int = 5) -> float:
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        job()  # type: ignore[operator]
        took.append(time.perf_counter() - start)
    return statistics.median(took) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--skus", type=int, default=500, help="SKUs sold per shop and day")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'stats.db'}"
    start = time.perf_counter()
    fill(url, args.skus, args.seed)
    print(
        f"filled rollups for 10M orders ({SHOPS} shops × {DAYS} days, {args.skus} SKUs/day)"
        f" in {time.perf_counter() - start:.1f} s"
    )
    engine = make_engine(url)
    last = FIRST + timedelta(days=DAYS - 1)
    first = last - timedelta(days=29)
    with engine.connect() as conn:
        print(
            f"sku rollup rows: {conn.execute(select(func.count()).select_from(t.stats_sku)).scalar_one():,}"
        )
        all_shops = timed(lambda: stats_report(conn, first, last))
        one_shop = timed(lambda: stats_report(conn, first, last, [3]))
        d = t.stats_daily
        bare = timed(
            lambda: conn.execute(
                select(func.sum(d.c.orders), func.sum(d.c.sales)).where(d.c.day.between(first, last))
            ).one()
        )
    print(
        f"stats 30 days, all shops: {all_shops:.0f} ms · one shop: {one_shop:.0f} ms"
        f" · bare daily sum: {bare:.1f} ms"
    )
    print(f"ratio all shops / bare: {all_shops / bare:.0f}×  (target: ≤ 500 ms)")


if __name__ == "__main__":
    main()
