"""Import benchmark: a generic orders CSV of --lines lines (demo generator, ~2.5 lines per order) imported
end to end into a fresh SQLite file through lanshou.intake.orders.import_orders, against a bare csv.reader +
sqlite3.executemany of the same rows into an equivalent plain table.

    .venv/bin/python bench/import/run.py [--lines 1000000] [--seed 7] [--dir DIR] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import resource
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from lanshou.db.engine import _sqlite_pragmas, open_database
from lanshou.demo.generator import DemoConfig, DemoOrder, demo_orders
from lanshou.intake.orders import import_orders

HEADER = (
    "platform", "shop", "order_id", "status", "created_at", "paid_at", "is_presale", "promised_ship_by",
    "buyer_id", "buyer_name", "buyer_phone", "province", "city", "district", "address", "buyer_message",
    "sku", "title", "category", "quantity", "unit_price", "order_amount", "carrier", "tracking_no",
    "shipped_at",
)  # fmt: skip
MEAN_LINES = 2.5
CHUNK = 5_000


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


def order_rows(o: DemoOrder) -> Iterator[list[str]]:
    """One generic-file row per order line, order columns repeated; line i carries parcel i (if any)."""
    f, b = o.fate, o.buyer
    head = [o.shop.platform, o.shop.name, o.order_no, f.status, _t(o.created), _t(f.paid_at),
            "1" if f.presale else "0", _t(f.promised), b.key, b.name, b.phone, b.province, b.city,
            b.district, b.address, o.message]  # fmt: skip
    amount = str(o.amount)
    for i, (product, qty) in enumerate(o.lines):
        parcel = f.parcels[min(i, len(f.parcels) - 1)] if f.parcels else None
        ship = [parcel.carrier, parcel.tracking_no, _t(parcel.waybill)] if parcel else ["", "", ""]
        yield [
            *head,
            product.sku,
            product.title,
            product.category,
            str(qty),
            str(product.price),
            amount,
            *ship,
        ]


def write_csv(path: Path, lines: int, seed: int) -> int:
    config = DemoConfig(orders=int(lines / MEAN_LINES * 1.2) + 10, seed=seed, mean_lines=MEAN_LINES,
                        end=date(2026, 11, 21))  # fmt: skip
    written = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for order in demo_orders(config):
            for row in order_rows(order):
                out.writerow(row)
                written += 1
                if written >= lines:
                    return written
    return written


def baseline(path: Path, db: Path) -> float:
    """Seconds for csv.reader + sqlite3.executemany of every row into a plain 25-column table."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    columns = ", ".join(f"{name} TEXT" for name in HEADER)
    conn.execute(f"CREATE TABLE plain (id INTEGER PRIMARY KEY, {columns})")
    sql = f"INSERT INTO plain ({', '.join(HEADER)}) VALUES ({', '.join('?' * len(HEADER))})"
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        while chunk := [row for _, row in zip(range(CHUNK), reader, strict=False)]:
            conn.executemany(sql, chunk)
            conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


COMMITS: dict[str, float] = defaultdict(float)


class TimedConnection(sqlite3.Connection):
    def commit(self) -> None:
        started = time.perf_counter()
        super().commit()
        COMMITS["COMMIT"] += time.perf_counter() - started


def _time_statements(engine: Engine) -> dict[str, float]:
    """Seconds spent in the driver per statement kind ("INSERT INTO orders", "COMMIT", …)."""
    spent: dict[str, float] = defaultdict(float)

    def before(conn: Any, *_args: Any) -> None:
        conn.info["t0"] = time.perf_counter()

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        words = statement.split()
        spent[" ".join(words[:3]) if words[0] == "INSERT" else " ".join(words[:2])] += (
            time.perf_counter() - conn.info.pop("t0")
        )

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    return spent


def _tenths(marks: list[tuple[int, float]], started: float) -> str:
    """Import speed over each tenth of the file: does it slow down as the database grows?"""
    if not marks:
        return "-"
    total, last = marks[-1][0], (0, started)
    rates: list[str] = []
    for done, at in marks:
        if done >= total * (len(rates) + 1) / 10 and at > last[1]:
            rates.append(f"{(done - last[0]) / (at - last[1]):,.0f}")
            last = (done, at)
    return " ".join(rates)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the import here")
    parser.add_argument("--batch-orders", type=int, default=None, help="experiment: orders per import batch")
    parser.add_argument("--statements", action="store_true", help="time the import's SQL per statement kind")
    parser.add_argument("--one-process", action="store_true", help="parse in the writer, as on one core")
    parser.add_argument(
        "--pragma",
        action="append",
        default=[],
        help="extra SQLite PRAGMA for the import, e.g. cache_size=-65536",
    )
    args = parser.parse_args()
    if args.one_process:
        import lanshou.intake.pipeline as pipeline

        pipeline.PARSE_IN_CHILD = False
        print("experiment: parsing in the writing process")
    if args.batch_orders:
        import lanshou.intake.orders as orders_import

        orders_import.BATCH_ORDERS = args.batch_orders
        print(f"experiment: {args.batch_orders} orders per batch")
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        run(work, args.lines, args.seed, args.profile, args.pragma, args.statements)


def run(
    work: Path, lines: int, seed: int, profile: Path | None, pragmas: list[str], statements: bool = False
) -> None:
    csv_path = work / "orders.csv"
    made_for = work / "orders.csv.made-for"  # "lines seed": a kept --dir reuses the file it already holds
    started = time.perf_counter()
    if (
        csv_path.exists()
        and made_for.exists()
        and made_for.read_text().split()[:2] == [str(lines), str(seed)]
    ):
        written = int(made_for.read_text().split()[2])
        print(f"reusing {csv_path}")
    else:
        written = write_csv(csv_path, lines, seed)
        made_for.write_text(f"{lines} {seed} {written}\n")
    size_mb = csv_path.stat().st_size / 1e6
    print(f"wrote {written:,} lines ({size_mb:.0f} MB) in {time.perf_counter() - started:.1f} s")
    print(f"peak RSS after writing the file: {peak_rss_mb():.0f} MB")

    db = work / "lanshou.db"
    for stale in [
        work / f"{name}{end}" for name in ("lanshou.db", "plain.db") for end in ("", "-wal", "-shm")
    ]:
        stale.unlink(missing_ok=True)
    engine = open_database(f"sqlite:///{db}")
    engine.dispose()
    for pragma in pragmas:  # experiments: applied to every connection after Lanshou's own pragmas
        event.listen(engine, "connect", lambda conn, _rec, p=pragma: conn.execute(f"PRAGMA {p}"))
    if pragmas:
        print(f"extra pragmas: {', '.join(pragmas)}")
    sql_times = None
    if statements:  # the same engine as make_engine's, with commits timed
        engine = create_engine(f"sqlite:///{db}", connect_args={"factory": TimedConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        sql_times = _time_statements(engine)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    marks: list[tuple[int, float]] = []
    report = import_orders(
        engine,
        csv_path,
        "generic",
        rejects=work / "rejected.csv",
        progress=lambda done: marks.append((done, time.perf_counter())),
    )
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    seconds = time.perf_counter() - started
    engine.dispose()
    rate = written / seconds
    print(f"import_orders: {report.rows:,} rows, {report.inserted:,} orders, {report.lines:,} lines, "
          f"{report.rejected_count:,} rejected")  # fmt: skip
    print(
        f"end to end: {seconds:.1f} s = {rate:,.0f} lines/s; peak RSS {peak_rss_mb():.0f} MB "
        f"(parsing process: {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB)"
    )

    print(f"rate by tenth of the file (lines/s): {_tenths(marks, started)}")
    if sql_times is not None:
        for what, spent in sorted({**sql_times, **COMMITS}.items(), key=lambda kv: -kv[1]):
            print(f"  SQL {what}: {spent:.1f} s")

    base = baseline(csv_path, work / "plain.db")
    base_rate = written / base
    print(f"bare csv.reader + sqlite3.executemany: {base:.1f} s = {base_rate:,.0f} lines/s")
    print(f"ratio end to end / bare: {rate / base_rate:.2f} (bare is {base_rate / rate:.1f}x faster)")


if __name__ == "__main__":
    main()
