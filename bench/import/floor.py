"""The floor of `lanshou import orders` on this machine: what parsing the file and storing the rows the import
stores cost, with none of Lanshou's own code between them (issue 9, item 3).

    .venv/bin/python bench/import/floor.py [--database-url URL] [--lines 96540 --mean-lines 1.38] [--dir DIR]

1. The file is imported once as the CLI does it (`import_orders`, bootstrap wired: rollups current), into a
   first database; every table it filled is read back, row by row, in the order it was written.
2. Those very rows are written again into a second database with the same schema and indexes, by the
   driver alone: `executemany` (SQLite) or `COPY` (PostgreSQL), in as many transactions as the import had
   batches, each with its share of every table. Its CPU (and on PostgreSQL the server backend's) is the
   store's floor: the B-trees, the log, binding or sending the values; no look-up, no derivation, no
   Python between statements.
3. The parse alone (`parse_batches`: reading, checking, building the rows to store) in this process.

Printed beside the same run's ceiling (bare executemany/COPY of the file into a plain table): the import as a
user runs it, the floor's parts, and the fastest the import could run on two cores if everything but those
parts cost nothing and they overlapped perfectly. SQLite writes from one process, so the store's floor
alone bounds it there; PostgreSQL's server and client may run beside the parser.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import inspect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: scratch
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/import: run

from run import HEADER, _files
from scratch import CpuMeter, _backend_cpu, _own_cpu, _psycopg_url, ceiling, is_postgres, scratch_database

from lanshou import bootstrap
from lanshou.db.engine import _sqlite_pragmas, open_database
from lanshou.intake import orders as orders_import
from lanshou.intake.orders import import_orders, parse_batches
from lanshou.intake.pipeline import Batch
from lanshou.platforms.base import ReadContext
from lanshou.platforms.registry import load_platforms

TARGET = 15_000  # issue 9: `lanshou import orders` end to end, lines a second
SKIPPED = {"alembic_version"}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=None, help="sqlite:///path.db or a PostgreSQL server URL")
    parser.add_argument("--lines", type=int, default=96_540)
    parser.add_argument("--mean-lines", type=float, default=1.38)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (the files are kept there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lanshou-floor-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path, _, lines, _ = _files(work, args.lines, args.seed, args.mean_lines)
        first_url = args.database_url or f"sqlite:///{work / 'floor-first.db'}"
        second_url = args.database_url if is_postgres(first_url) else f"sqlite:///{work / 'floor-second.db'}"
        with scratch_database(first_url) as first, scratch_database(second_url) as second:
            run(csv_path, lines, first, second)


def run(csv_path: Path, lines: int, first: str, second: str) -> None:
    postgres = is_postgres(first)
    bootstrap.start().subscribed()
    engine = open_database(first)
    client = CpuMeter(engine)  # this process and its reaped children (the forked parser); not the server
    started, cpu = time.perf_counter(), client.seconds()[0]
    report = import_orders(engine, csv_path, "generic", rejects=csv_path.with_suffix(".rejected-floor.csv"))
    user = (time.perf_counter() - started, client.seconds()[0] - cpu)
    batches = _batch_sizes(report.inserted)
    tables = _stored_rows(engine, first)
    engine.dispose()
    open_database(second).dispose()  # the same schema and indexes, empty
    store = (
        _store_sqlite(second, tables, batches) if not postgres else _store_postgres(second, tables, batches)
    )
    parse = _parse(csv_path)
    bare = ceiling(first, csv_path, HEADER)
    _report(lines, report.inserted, user, tables, store, parse, bare, postgres)


def _batch_sizes(orders: int) -> list[float]:
    """Each import batch's share of the orders, as the importer cuts them (lanshou.intake.orders)."""
    shares, size, left = [], orders_import.FIRST_BATCH_ORDERS, orders
    while left > 0:
        take = min(size, left)
        shares.append(take / orders)
        left -= take
        size = min(2 * size, orders_import.BATCH_ORDERS)
    return shares


Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # table -> (columns, rows in the order written)


def _stored_rows(engine: Any, url: str) -> Rows:
    tables: Rows = {}
    names = [n for n in inspect(engine).get_table_names() if n not in SKIPPED]
    if is_postgres(url):
        with psycopg.connect(_psycopg_url(url)) as conn:
            for name in names:
                cursor = conn.execute(f'SELECT * FROM "{name}" ORDER BY ctid')
                rows = cursor.fetchall()
                if rows:
                    tables[name] = ([d.name for d in cursor.description or ()], rows)
        return tables
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    for name in names:
        cursor = conn.execute(f'SELECT * FROM "{name}"')  # a rowid table's rows come in the order written
        rows = cursor.fetchall()
        if rows:
            tables[name] = ([d[0] for d in cursor.description], rows)
    conn.close()
    return tables


def _shares(rows: Sequence[Any], batches: list[float]) -> Iterator[Sequence[Any]]:
    done, start = 0.0, 0
    for i, share in enumerate(batches):
        done += share
        end = len(rows) if i == len(batches) - 1 else round(done * len(rows))
        yield rows[start:end]
        start = end


def _by_batch(tables: Rows, batches: list[float]) -> list[list[tuple[str, list[str], Sequence[Any]]]]:
    """Each batch's share of every table, in the import's order of batches."""
    split = {name: list(_shares(rows, batches)) for name, (_, rows) in tables.items()}
    return [[(name, tables[name][0], split[name][i]) for name in tables] for i in range(len(batches))]


def _store_sqlite(url: str, tables: Rows, batches: list[float]) -> tuple[float, float, float]:
    """(wall, this process's CPU, 0): executemany of every batch's rows, a transaction per batch."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    _sqlite_pragmas(conn, None)
    work = _by_batch(tables, batches)
    started, cpu = time.perf_counter(), _own_cpu()
    for batch in work:
        conn.execute("BEGIN IMMEDIATE")
        for name, columns, rows in batch:
            marks = ", ".join("?" * len(columns))
            conn.executemany(f'INSERT INTO "{name}" ({", ".join(columns)}) VALUES ({marks})', rows)
        conn.execute("COMMIT")
    spent = (time.perf_counter() - started, _own_cpu() - cpu, 0.0)
    conn.close()
    return spent


def _store_postgres(url: str, tables: Rows, batches: list[float]) -> tuple[float, float, float]:
    """(wall, this process's CPU, the server backend's CPU): a COPY per table of each batch's rows."""
    work = _by_batch(tables, batches)
    with psycopg.connect(_psycopg_url(url)) as conn:
        pid = conn.info.backend_pid
        started, cpu, server = time.perf_counter(), _own_cpu(), _backend_cpu(pid)
        for batch in work:
            with conn.cursor() as cursor:
                for name, columns, rows in batch:
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    with cursor.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
            conn.commit()
        return time.perf_counter() - started, _own_cpu() - cpu, _backend_cpu(pid) - server


def _parse(csv_path: Path) -> float:
    """CPU seconds of the parse alone, in this process as in the forked child the import runs it in: with
    the cyclic collector off (lanshou.forked; on, it takes 60 % more)."""
    load_platforms()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        cpu, count = _own_cpu(), 0
        for message in parse_batches(csv_path, "generic", ReadContext()):
            if isinstance(message, Batch):
                count += len(message.items)
        return _own_cpu() - cpu
    finally:
        gc.enable()
        gc.unfreeze()


def _report(
    lines: int,
    orders: int,
    user: tuple[float, float],
    tables: Rows,
    store: tuple[float, float, float],
    parse: float,
    bare: tuple[float, float],
    postgres: bool,
) -> None:
    rows = sum(len(r) for _, r in tables.values())
    biggest = sorted(tables.items(), key=lambda item: -len(item[1][1]))
    each = ", ".join(f"{name} {len(kept):,}" for name, (_, kept) in biggest)
    print(f"the import stored {orders:,} orders: {rows:,} rows in {len(tables)} tables ({each})")
    _line("lanshou import orders, END TO END (as a user runs it)", user[0], lines, "wall")
    print(f"{'  its CPU: the writer and its forked parser (not the server)':<60} {user[1]:>6.1f} s")
    _line("ceiling: bare executemany/COPY of the file, one plain table", bare[0], lines, "wall")
    wall, client, server = store
    driver = "COPY" if postgres else "executemany"
    _line(f"the store's floor: the same rows by {driver} alone", wall, lines, "wall")
    if postgres:
        print(f"{'  CPU: client / server':<60} {client:>6.1f} s / {server:.1f} s")
    else:
        print(f"{'  CPU':<60} {client:>6.1f} s")
    print(f"{'the parse alone (CPU)':<60} {parse:>6.1f} s")
    if postgres:  # parser, writer and server may each have a core part of the time: two cores in all
        bound = max(server, client, parse, (parse + client + server) / 2)
        how = "max(server, client, parse, (parse + client + server) / 2)"
    else:  # one writer: the store's floor runs in one process, the parse beside it
        bound = max(client, parse, (client + parse) / 2)
        how = "max(store, parse, (store + parse) / 2)"
    _line(f"the floor on two cores: {how}", bound, lines, "")
    target = lines / TARGET
    print(f"the target, {TARGET:,} lines/s: {target:.1f} s; the floor is {bound / target:.0%} of it, "
          f"leaving {target - bound:.1f} s for everything else the import does")  # fmt: skip


def _line(what: str, seconds: float, lines: int, unit: str) -> None:
    print(f"{what:<60} {seconds:>6.1f} s {lines / max(seconds, 1e-9):>8,.0f} lines/s {unit}")


if __name__ == "__main__":
    main()
