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
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import make_engine, upgrade
from lanshou.shops.tables import shops
from lanshou.stats import spans
from lanshou.stats import tables as t
from lanshou.stats.report import stats_report
from lanshou.stats.spans import regroup_spans

SHOPS, DAYS, CATEGORIES, PROVINCES = 20, 90, 30, 31
REASONS = ("quality", "damaged", "no_reason", "other")
ORDERS_PER_DAY = 10_000_000 // (SHOPS * DAYS)
FIRST = date(2026, 8, 1)
DAILY = (
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
)


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
        daily: list[tuple[Any, ...]] = []
        cats: list[tuple[Any, ...]] = []
        sold: list[tuple[Any, ...]] = []
        provs: list[tuple[Any, ...]] = []
        rets: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        for d in range(DAYS):
            day = FIRST + timedelta(days=d)
            n = ORDERS_PER_DAY + rng.randint(-500, 500)
            daily.append(
                (
                    shop,
                    day,
                    n,
                    Decimal(n * 120),
                    n // 3,
                    n // 20,
                    n // 30,
                    n // 25,
                    Decimal(n * 3),
                    Decimal(n),
                )
            )
            cats += [(shop, day, f"cat{c}", n // CATEGORIES, Decimal(n * 4)) for c in range(CATEGORIES)]
            sold += [
                (shop, day, f"SKU-{shop}-{k}", n // skus + 1, n // skus + 2, Decimal(n // skus * 120))
                for k in range(skus)
            ]
            provs += [(shop, day, f"prov{p}", n // PROVINCES, Decimal(n * 4)) for p in range(PROVINCES)]
            for reason in REASONS:
                for _ in range(25):
                    key = (shop, day, f"SKU-{shop}-{rng.randrange(skus)}", reason)
                    rets[key] = (*key, 2, 3, Decimal(40))
        with engine.begin() as conn:
            insert_rows(conn, t.stats_daily, daily, DAILY)
            insert_rows(conn, t.stats_category, cats, ("shop_id", "day", "category", "quantity", "sales"))
            insert_rows(conn, t.stats_sku, sold, ("shop_id", "day", "sku", "orders", "quantity", "sales"))
            insert_rows(conn, t.stats_province, provs, ("shop_id", "day", "province", "orders", "sales"))
            columns = ("shop_id", "day", "sku", "reason_code", "returns", "cases", "refunded")
            insert_rows(conn, t.stats_returns, list(rets.values()), columns)
            regroup_spans(conn, shop, [FIRST + timedelta(days=d) for d in range(DAYS)])
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


class Took(tuple[float, float]):
    """Median wall and process-CPU milliseconds (on SQLite the CPU is the whole query; on PostgreSQL only
    the client's share, the server's is not counted)."""

    def __str__(self) -> str:
        return f"{self[0]:.0f} ms (CPU {self[1]:.0f} ms)"


def timed(job: Callable[[], object], runs: int = 5) -> Took:
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        job()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Took((statistics.median(wall) * 1000, statistics.median(cpu) * 1000))


def server_ms(conn: Any, job: Callable[[], object], runs: int = 3) -> float:
    """PostgreSQL only: the server's execution time of the job's statements (EXPLAIN ANALYZE of each,
    summed; best of `runs`), which the load on a shared machine inflates far less than the wall time."""
    caught: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        caught.append((statement, parameters))

    event.listen(conn, "before_cursor_execute", catch)
    try:
        job()
    finally:
        event.remove(conn, "before_cursor_execute", catch)
    best = []
    for _ in range(runs):
        total = 0.0
        for statement, parameters in caught:
            plan = conn.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters
            ).scalar_one()
            total += plan[0]["Execution Time"]
        best.append(total)
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--skus", type=int, default=500, help="SKUs sold per shop and day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database (--url only)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'stats.db'}"
    if not args.keep:
        start = time.perf_counter()
        fill(url, args.skus, args.seed)
        took = time.perf_counter() - start
        print(
            f"filled rollups for 10M orders ({SHOPS} shops × {DAYS} days, {args.skus} SKUs/day): {took:.1f} s"
        )
    engine = make_engine(url)
    last = FIRST + timedelta(days=DAYS - 1)
    first = last - timedelta(days=29)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(t.stats_sku)).scalar_one()
        blocks = conn.execute(select(func.count()).select_from(t.stats_sku_span)).scalar_one()
        print(f"{conn.dialect.name}: {rows:,} SKU rollup rows, {blocks:,} SKU rows of blocks of days")
        days, spanned = spans.cover(first, last)
        print(f"30 days {first}..{last} = {len(spanned)} blocks {spanned} + {len(days)} single days")
        figures = _time_reports(conn, first, last)
        d = t.stats_daily
        daily = select(func.sum(d.c.orders), func.sum(d.c.sales)).where(d.c.day.between(first, last))
        bare = timed(lambda: conn.execute(daily).one())
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            server = server_ms(conn, lambda: stats_report(conn, first, last))
        sizes = spans.SIZES
        spans.SIZES = ()  # the same reports reading every day's rows, as before the blocks
        try:
            by_day = timed(lambda: stats_report(conn, first, last))
            if postgres:
                server_by_day = server_ms(conn, lambda: stats_report(conn, first, last))
        finally:
            spans.SIZES = sizes
    if postgres:
        print(f"server time of the all-shops report: {server:.0f} ms, blocks off: {server_by_day:.0f} ms")
    print(f"report, all shops, 30 days read day by day (no blocks, same run): {by_day}")
    for name, took in figures.items():
        print(f"{name}: {took}")
    ratio = figures["report, all shops"][0] / bare[0]
    print(f"bare daily sum: {bare[0]:.1f} ms · ratio all shops / bare: {ratio:.0f}×")
    print("target: ≤ 500 ms for the all-shops report and for the page's two reports")


def _time_reports(conn: Any, first: date, last: date) -> dict[str, Took]:
    """The report for all shops and one shop, and the 经营统计 page's two (the period and the one before,
    for each section's change)."""
    before = first - timedelta(days=1)
    previous = before - timedelta(days=29)
    return {
        "report, all shops": timed(lambda: stats_report(conn, first, last)),
        "report, one shop": timed(lambda: stats_report(conn, first, last, [3])),
        "page (two reports), all shops": timed(
            lambda: (stats_report(conn, first, last), stats_report(conn, previous, before))
        ),
        "page (two reports), one shop": timed(
            lambda: (stats_report(conn, first, last, [3]), stats_report(conn, previous, before, [3]))
        ),
    }


if __name__ == "__main__":
    main()
