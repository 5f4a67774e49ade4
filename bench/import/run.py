"""Import benchmark: what a user runs, `lanshou import orders FILE` then `lanshou import tracking FILE`,
into a fresh database (--database-url: a SQLite file or a PostgreSQL server), with its inner steps, beside
the ceiling of the same database in the same run.

    .venv/bin/python bench/import/run.py [--lines 1000000] [--database-url URL] [--seed 7] [--dir DIR]
                                         [--mean-lines 2.5] [--profile out.prof] [--statements]
                                         [--no-tracking]

The files: a generic orders CSV of --lines lines (demo generator, --mean-lines per order, each line naming its
parcel) and a generic tracking CSV of every carrier event of those parcels. Each import runs as the CLI runs
it (lanshou.bootstrap wired: the import, then the metric rollups brought up to date before it returns); the
bench times the whole ("end to end") and, inside it, the rollup refresh (the bus's settle). New orders are
derived as the import stores them (lanshou.events.CreatedOrder), so the settle derives only what was marked
(new orders naming a parcel stored before, orders changed, carrier events' orders); on PostgreSQL a child
derives beside the writer what is committed, so the settle finds only the last batches left, and the import's
line includes it.
Then each file is imported once more, as a daily export that repeats what is stored (nothing in it changed:
nothing is derived again). The ceiling: a bare csv.reader + executemany (SQLite) or COPY (PostgreSQL) of the
same file's rows into a plain table.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import resource
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scratch import CpuMeter, ceiling, is_postgres, scratch_database

from lanshou import bootstrap
from lanshou import schema as s
from lanshou.db.engine import _sqlite_pragmas, open_database
from lanshou.demo.generator import DemoConfig, DemoOrder, demo_orders
from lanshou.events import bus
from lanshou.intake.orders import import_orders
from lanshou.intake.tracking import import_tracking
from lanshou.metrics import subscriptions as metric_subscriptions

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


TRACKING_HEADER = ("carrier", "tracking_no", "event_time", "status", "location", "description")
EVENT_KEY = ("tracking_no", "event_time", "status")


def write_csv(
    path: Path, tracking: Path, lines: int, seed: int, mean_lines: float = MEAN_LINES
) -> tuple[int, int]:
    """The orders file of `lines` lines, and the tracking file of every event of their parcels (each
    parcel once: a merged parcel is named by several orders). Returns (lines, events) written."""
    config = DemoConfig(orders=int(lines / mean_lines * 1.2) + 10, seed=seed, mean_lines=mean_lines,
                        end=date(2026, 11, 21))  # fmt: skip
    written = events = 0
    seen: set[str] = set()
    with (
        path.open("w", newline="", encoding="utf-8") as fh,
        tracking.open("w", newline="", encoding="utf-8") as th,
    ):
        out, track = csv.writer(fh), csv.writer(th)
        out.writerow(HEADER)
        track.writerow(TRACKING_HEADER)
        for order in demo_orders(config):
            for row in order_rows(order):
                out.writerow(row)
                written += 1
            for parcel in order.fate.parcels:
                if parcel.tracking_no in seen:
                    continue
                seen.add(parcel.tracking_no)
                for e in parcel.journey.events:
                    track.writerow((parcel.carrier, parcel.tracking_no, _t(e.time), e.status.value,
                                    e.location, e.description))  # fmt: skip
                    events += 1
            if written >= lines:
                break
    return written, events


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
    _time_copies(spent)
    return spent


def _time_copies(spent: dict[str, float]) -> None:
    """PostgreSQL's COPY paths (lanshou.db.pg_copy) bypass SQLAlchemy's events: timed here, by table. A
    merge's line includes its COPY into the staging table."""
    from lanshou.db import pg_copy

    def timed(name: str, function: Any) -> Any:
        def run(conn: Any, table: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(conn, table, *args, **kwargs)
            finally:
                spent[f"{name} {table.name}"] += time.perf_counter() - started

        return run

    pg_copy.copy_into = timed("COPY INTO", pg_copy.copy_into)  # type: ignore[assignment]
    pg_copy.merge = timed("MERGE INTO", pg_copy.merge)  # type: ignore[assignment]


def _tenths(marks: list[tuple[int, float]], ended: float) -> str:
    """Import speed over each tenth of the file: does it slow down as the database grows? A mark is (rows
    read, when their batch arrived); a batch is stored (and settled) from its arrival to the next one's (the
    last: to the end), so its rows are divided by that time, not by the time the previous batch took."""
    if not marks:
        return "-"
    total = marks[-1][0]
    spans = [  # (rows done after the batch, seconds its store took)
        (done, (marks[i + 1][1] if i + 1 < len(marks) else ended) - at) for i, (done, at) in enumerate(marks)
    ]
    rates: list[str] = []
    rows_before, rows, seconds = 0, 0, 0.0
    for done, spent in spans:
        rows, seconds = rows + done - rows_before, seconds + spent
        rows_before = done
        if done >= total * (len(rates) + 1) / 10 and seconds > 0:
            rates.append(f"{rows / seconds:,.0f}")
            rows, seconds = 0, 0.0
    return " ".join(rates)


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default=None,
        help="sqlite:///path.db (default: lanshou.db in the work dir) or a PostgreSQL server URL",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL scratch database")
    parser.add_argument(
        "--mean-lines",
        type=float,
        default=MEAN_LINES,
        help="mean lines per order of the file (1.6: the demo's, ~1.4 lines an order as issue 9's file)",
    )
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of the imports here")
    parser.add_argument("--batch-orders", type=int, default=None, help="experiment: orders per import batch")
    parser.add_argument("--statements", action="store_true", help="time the import's SQL per statement kind")
    parser.add_argument("--one-process", action="store_true", help="parse in the writer, as on one core")
    parser.add_argument("--no-tracking", action="store_true", help="only the orders import")
    parser.add_argument(
        "--one-process-refresh", action="store_true", help="the rollup refresh in the writer alone"
    )
    parser.add_argument(
        "--no-catch-up-alongside",
        action="store_true",
        help="PostgreSQL: no child deriving the rollups beside the writer (lanshou.intake.alongside)",
    )
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
    if args.one_process_refresh:
        import lanshou.metrics.rollups as rollups

        rollups.FORK_FROM = sys.maxsize
        print("experiment: the rollup refresh in one process")
    if args.no_catch_up_alongside:
        from lanshou.intake.alongside import CatchUpAlongside

        CatchUpAlongside._worth_it = lambda self: False  # type: ignore[method-assign]
        print("experiment: no catch-up beside the writer")
    if args.batch_orders:
        import lanshou.intake.orders as orders_import

        orders_import.BATCH_ORDERS = args.batch_orders
        print(f"experiment: {args.batch_orders} orders per batch")
    with tempfile.TemporaryDirectory(prefix="lanshou-bench-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{work / 'lanshou.db'}"
        with scratch_database(url, args.keep) as db_url:
            run(work, db_url, args)


Spent = tuple[float, float]  # (wall seconds, CPU seconds: client + server)
SETTLED: list[Spent] = []  # each settle (the rollup refresh the import ends with)


def _time_settles(meter: CpuMeter) -> None:
    """The CLI's wiring (bootstrap), with each settle timed: the import's own work is the rest."""
    bootstrap.start()
    settle = bus.settle

    def timed(engine: Engine) -> None:
        started, cpu = time.perf_counter(), sum(meter.seconds())
        settle(engine)
        SETTLED.append((time.perf_counter() - started, sum(meter.seconds()) - cpu))

    bus.settle = timed  # type: ignore[method-assign]
    bus.subscribed()
    bus._after[:] = [(types, _timed_handler(handler)) for types, handler in bus._after]
    derive_created = metric_subscriptions.derive_created

    def counted(conn: Any, created: Any, rules_for: Any) -> set[tuple[int, str]]:
        keys = derive_created(conn, created, rules_for)
        AS_STORED.append(len(keys))
        return keys

    metric_subscriptions.derive_created = counted


AS_STORED: list[int] = []  # new orders derived as the import stored them, a batch at a time


HANDLERS: dict[str, float] = defaultdict(float)  # wall seconds per subscriber area in the settles


def _timed_handler(handler: Any) -> Any:
    area = handler.__module__.removeprefix("lanshou.").removesuffix(".subscriptions")

    def timed(engine: Engine, events: list[Any]) -> object:
        started = time.perf_counter()
        try:
            return handler(engine, events)
        finally:
            HANDLERS[area] += time.perf_counter() - started

    return timed


def _print_handlers() -> None:
    spent = ", ".join(f"{area} {s:.1f} s" for area, s in sorted(HANDLERS.items(), key=lambda kv: -kv[1]))
    print(f"  the settle by subscriber: {spent or '-'}")
    HANDLERS.clear()


def _settled() -> Spent:
    spent = (sum(w for w, _ in SETTLED), sum(c for _, c in SETTLED))
    SETTLED.clear()
    return spent


def _files(work: Path, lines: int, seed: int, mean_lines: float) -> tuple[Path, Path, int, int]:
    csv_path, tracking_path = work / "orders.csv", work / "tracking.csv"
    made_for = work / "orders.csv.made-for"  # "lines seed mean written events": a kept --dir reuses them
    started = time.perf_counter()
    kept = made_for.read_text().split() if made_for.exists() else []
    wanted = [str(lines), str(seed), str(mean_lines)]
    if csv_path.exists() and tracking_path.exists() and kept[:3] == wanted and len(kept) == 5:
        written, events = int(kept[3]), int(kept[4])
        print(f"reusing {csv_path} and {tracking_path}")
    else:
        written, events = write_csv(csv_path, tracking_path, lines, seed, mean_lines)
        made_for.write_text(f"{lines} {seed} {mean_lines} {written} {events}\n")
    size_mb = csv_path.stat().st_size / 1e6
    print(f"wrote {written:,} order lines ({size_mb:.0f} MB) and {events:,} tracking events "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return csv_path, tracking_path, written, events


def _engine(db_url: str, pragmas: list[str], statements: bool) -> tuple[Engine, dict[str, float] | None]:
    engine = open_database(db_url)
    engine.dispose()
    for pragma in pragmas:  # experiments: applied to every connection after Lanshou's own pragmas
        event.listen(engine, "connect", lambda conn, _rec, p=pragma: conn.execute(f"PRAGMA {p}"))
    if pragmas:
        print(f"extra pragmas: {', '.join(pragmas)}")
    if not statements:
        return engine, None
    if not is_postgres(db_url):  # the same engine as make_engine's, with commits timed
        engine = create_engine(db_url, connect_args={"factory": TimedConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine, _time_statements(engine)


def _print_statements(sql_times: dict[str, float] | None) -> None:
    if sql_times is None:
        return
    for what, spent in sorted({**sql_times, **COMMITS}.items(), key=lambda kv: -kv[1])[:20]:
        print(f"  SQL {what}: {spent:.2f} s")
    sql_times.clear()
    COMMITS.clear()


def _line(what: str, spent: Spent, count: int, unit: str) -> tuple[float, float]:
    """Prints and returns (rate per wall second, rate per CPU second)."""
    seconds, cpu = spent
    rate, per_cpu = count / max(seconds, 1e-9), count / max(cpu, 1e-9)
    print(f"{what:<58} {seconds:>6.1f} s {rate:>8,.0f} {unit:<9} | cpu {cpu:>6.1f} s {per_cpu:>8,.0f}/cpu-s")
    return rate, per_cpu


def run(work: Path, db_url: str, args: Any) -> None:
    csv_path, tracking_path, written, events = _files(work, args.lines, args.seed, args.mean_lines)
    sqlite_db = not is_postgres(db_url)
    print(f"database: {'SQLite file' if sqlite_db else 'PostgreSQL'} ({db_url.split('@')[-1]})")
    engine, sql_times = _engine(db_url, args.pragma, args.statements)
    meter = CpuMeter(engine)
    _time_settles(meter)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()

    # what `lanshou import orders FILE` does
    marks: list[tuple[int, float]] = []
    started, before = time.perf_counter(), meter.seconds()
    cpu = sum(before)
    report = import_orders(
        engine,
        csv_path,
        "generic",
        rejects=work / "rejected.csv",
        progress=lambda done: marks.append((done, time.perf_counter())),
    )
    ended = time.perf_counter()
    total = (ended - started, sum(meter.seconds()) - cpu)
    refresh = _settled()
    print(f"import orders: {report.rows:,} rows, {report.inserted:,} orders, {report.lines:,} lines, "
          f"{report.rejected_count:,} rejected")  # fmt: skip
    _print_cpu_split(before, meter.seconds())
    print(f"  import rate by tenth of the file (lines/s): {_tenths(marks, ended)}")
    _print_handlers()
    with engine.connect() as conn:
        derived = conn.execute(select(func.count()).select_from(s.metric_orders)).scalar_one()
    as_stored = sum(AS_STORED)
    left = derived - as_stored  # to the refresh (on PostgreSQL partly to the child beside the writer)
    _print_statements(sql_times)

    # what `lanshou import tracking FILE` does
    tracking_figures = None
    if not args.no_tracking:
        started, before = time.perf_counter(), meter.seconds()
        treport = import_tracking(engine, tracking_path, rejects=work / "rejected-tracking.csv")
        ttotal = (time.perf_counter() - started, sum(meter.seconds()) - sum(before))
        tracking_figures = (ttotal, _settled())
        print(f"import tracking: {treport.rows:,} rows, {treport.inserted:,} new events, "
              f"{treport.rejected_count:,} rejected")  # fmt: skip
        _print_cpu_split(before, meter.seconds())
        _print_handlers()
        _print_statements(sql_times)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    again = _again(engine, meter, work, csv_path, None if args.no_tracking else tracking_path)
    engine.dispose()
    print(
        f"peak RSS {peak_rss_mb():.0f} MB (parsing process: {peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB)"
    )

    bare = "bare csv.reader + " + ("sqlite3.executemany" if sqlite_db else "COPY")
    print()
    print("CPU: this process, its forked parser" + ("" if sqlite_db else " and the PostgreSQL backends"))
    rate = _line("lanshou import orders, END TO END (import + rollups)", total, written, "lines/s")
    beside = "" if sqlite_db or args.no_catch_up_alongside else " + rollups beside"
    _line(
        f"  the import (parse, store, derive new, marks{beside})", _minus(total, refresh), written, "lines/s"
    )
    _line(f"  the rollup refresh ({left:,} orders left to it)", refresh, left, "orders/s")
    print(f"  ({as_stored:,} new orders were derived as the import stored them: lanshou.events.CreatedOrder)")
    bare_rate = _line(f"{bare}, same rows (ceiling)", ceiling(db_url, csv_path, HEADER), written, "lines/s")
    _ratios(rate, bare_rate)
    if tracking_figures is not None:
        ttotal, trefresh = tracking_figures
        trate = _line("lanshou import tracking, END TO END (import + rollups)", ttotal, events, "events/s")
        _line(
            f"  the import (events, states, marks{beside})",
            _minus(ttotal, trefresh),
            events,
            "events/s",
        )
        _line("  the rollup refresh", trefresh, events, "events/s")
        spent = ceiling(db_url, tracking_path, TRACKING_HEADER, EVENT_KEY)
        _ratios(trate, _line(f"{bare}, unique key (ceiling)", spent, events, "events/s"))
    print("the same files imported again (what a daily export repeating stored orders costs):")
    _line("lanshou import orders again, nothing changed, END TO END", again[0][0], written, "lines/s")
    print(f"  the rollup refresh in it: {again[0][1][0]:.2f} s (nothing was marked to derive)")
    if len(again) > 1:
        _line("lanshou import tracking again, no new event, END TO END", again[1][0], events, "events/s")
        print(f"  the rollup refresh in it: {again[1][1][0]:.2f} s (nothing was marked to derive)")


def _again(
    engine: Engine, meter: CpuMeter, work: Path, orders: Path, tracking: Path | None
) -> list[tuple[Spent, Spent]]:
    """Each file imported once more, as the CLI does: (end to end, the refresh in it) of each."""
    spent: list[tuple[Spent, Spent]] = []
    for path, run_import in ((orders, import_orders), (tracking, import_tracking)):
        if path is None:
            continue
        started, cpu = time.perf_counter(), sum(meter.seconds())
        report = run_import(engine, path, rejects=work / f"rejected-again-{path.stem}.csv")
        spent.append(((time.perf_counter() - started, sum(meter.seconds()) - cpu), _settled()))
        if report.inserted or report.updated:
            raise SystemExit(f"{path.name} imported again changed {report.inserted + report.updated} rows")
    return spent


def _print_cpu_split(before: tuple[float, float], after: tuple[float, float]) -> None:
    """On PostgreSQL, how the end-to-end CPU splits between Lanshou's processes and the server's."""
    server = after[1] - before[1]
    if server:
        client = after[0] - before[0]
        print(f"  CPU end to end: Lanshou's processes {client:.1f} s, PostgreSQL {server:.1f} s")


def _minus(a: Spent, b: Spent) -> Spent:
    return a[0] - b[0], a[1] - b[1]


def _ratios(rate: tuple[float, float], bare: tuple[float, float]) -> None:
    wall, cpu = rate[0] / bare[0], rate[1] / bare[1]
    print(f"ratio end to end / ceiling: {wall:.2f} by the wall clock, {cpu:.2f} by CPU")


if __name__ == "__main__":
    main()
