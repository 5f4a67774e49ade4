"""The 30-day report from rollups at a scale this machine cannot generate in time, on PostgreSQL.

    .venv/bin/python bench/metrics/report_at_scale.py SOURCE_URL --times 500 [--repeat 5] [--explain]

SOURCE_URL: a PostgreSQL database that bench/metrics/run.py filled and derived (e.g. 20,000 demo orders).
A copy of it (CREATE DATABASE … TEMPLATE) is scaled: every metric_parcels row is repeated --times times
under new tracking numbers, the delivery rollups are rebuilt from them by GROUP BY (so the histogram the
percentiles walk matches the parcels), and every other rollup's counts are multiplied by --times. The
report's work then is what --times × as many orders give: the same number of rollup rows (the same days and
keys), --times × the parcels in each percentile bucket. Then VACUUM ANALYZE (what autovacuum does after a
load), the report timed (best and median), and its statements under EXPLAIN ANALYZE. The copy is dropped.
Not a demo at that scale: the rollup row count stays that of the source; the percentile look-ups, the part
that grows with orders, are at scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import _explain

from lanshou.db.engine import make_engine
from lanshou.demo.generator import DemoConfig
from lanshou.metrics.report import metrics_report

SCALED = ("rollup_pickup", "rollup_promise", "rollup_feedback", "rollup_freshness")
DELIVERY = {
    "rollup_delivery": ("delivered_day", "returned_eday", "bucket"),
    "rollup_delivery_carrier": ("delivered_day", "carrier", "returned_eday"),
    "rollup_delivery_province": ("delivered_day", "province", "returned_eday"),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("source_url")
    parser.add_argument("--times", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    source = make_url(args.source_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{source.database}_x{args.times}"
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
    url = source.set(database=name).render_as_string(hide_password=False)
    try:
        run(url, args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    times = args.times
    started = time.perf_counter()
    with engine.begin() as conn:
        columns = [r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'metric_parcels' "
            "AND column_name <> 'tracking_no' ORDER BY ordinal_position"))]  # fmt: skip
        names = ", ".join(columns)
        conn.execute(text(
            f"INSERT INTO metric_parcels (tracking_no, {names}) SELECT tracking_no || '-' || g, {names} "
            f"FROM metric_parcels, generate_series(1, {times - 1}) AS g"))  # fmt: skip
        for table in SCALED:
            conn.execute(text(f"UPDATE {table} SET n = n * {times}"))
        for table, keys in DELIVERY.items():
            conn.execute(text(f"DELETE FROM {table}"))
            group = ", ".join(("shop_id", *keys))
            conn.execute(text(
                f"INSERT INTO {table} ({group}, n, sum_s) SELECT {group}, count(*), sum(duration_s) "
                f"FROM metric_parcels WHERE delivered_day IS NOT NULL GROUP BY {group}"))  # fmt: skip
        parcels = conn.execute(text("SELECT count(*) FROM metric_parcels")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(f"scaled ×{times}: {parcels:,} metric_parcels rows in {time.perf_counter() - started:.0f} s")
    as_of = DemoConfig().end + timedelta(days=1)
    spent = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        metrics_report(engine, as_of, 30, source="rollups")
        spent.append(time.perf_counter() - started)
    print(f"30-day report, all shops, from rollups: best {min(spent) * 1000:.0f} ms, "
          f"median {statistics.median(spent) * 1000:.0f} ms over {args.repeat} runs")  # fmt: skip
    print("its statements under EXPLAIN ANALYZE:")
    _explain(engine, as_of, args.explain)
    engine.dispose()


if __name__ == "__main__":
    main()
