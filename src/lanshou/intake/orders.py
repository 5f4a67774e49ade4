"""Import an orders file (generic or a platform's own export) into the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine

from lanshou.db.engine import checkpoint
from lanshou.files.tabular import FileRefused, open_table
from lanshou.intake.forked import can_fork, produced_in_child
from lanshou.intake.report import ImportReport, RejectWriter
from lanshou.metrics.rollups import mark_dirty
from lanshou.orders.records import OrderRecord, RowError
from lanshou.orders.rows import OrderRows, to_rows
from lanshou.orders.store import OrderStore
from lanshou.platforms.base import FORMATS, ReadContext
from lanshou.platforms.registry import load_platforms
from lanshou.shops.store import ShopDirectory

BATCH_ORDERS = 5000  # fewer commits: each costs a WAL append and sometimes a checkpoint

Progress = Callable[[int], None]  # called with the number of rows done so far


def import_orders(
    engine: Engine,
    path: str | Path,
    fmt: str = "generic",
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, validate and store an orders file, a batch of orders per transaction."""
    load_platforms()
    if fmt not in FORMATS:
        raise FileRefused(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
    path = Path(path)
    report = ImportReport(file=str(path), kind="orders", fmt=fmt)
    writer = RejectWriter(rejects or default_rejects_path(path), report)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
        conn.commit()
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    try:
        for rows_read, orders, errors in batches(path, fmt, ctx):
            report.rows = rows_read
            if progress is not None:
                progress(rows_read)
            for error in errors:
                writer.add(error)
            if orders:
                _save(engine, shops, orders, path.name, report, writer)
    finally:
        writer.close()
    checkpoint(engine)  # part of the import's cost: the log it wrote goes into the database file now
    return report


def _save(
    engine: Engine,
    shops: ShopDirectory,
    orders: list[OrderRows],
    source: str,
    report: ImportReport,
    writer: RejectWriter,
) -> None:
    with engine.begin() as conn:  # one transaction per batch: a crash loses no finished order
        result = OrderStore(conn, shops).save(orders, source=source)
        mark_dirty(conn, ((shops.ids[(o.platform, o.shop)], o.order_no) for o in orders))
    report.inserted += result.inserted
    report.updated += result.updated
    report.unchanged += result.unchanged
    report.lines += result.lines
    for error in result.rejected:
        writer.add(error)


Batch = tuple[int, list[OrderRows], list[RowError]]  # (rows of the file read so far, orders, bad rows)


def batches(path: Path, fmt: str, ctx: ReadContext) -> Iterator[Batch]:
    """The file's orders in batches of about BATCH_ORDERS, parsed in a second process when there is a
    second core: parsing and writing then overlap, and the batches travel as plain tuples, which pickle
    at a fraction of the cost of parsing them (records pickled cost as much as parsing: measured)."""
    if PARSE_IN_CHILD and can_fork():
        return produced_in_child(parse_batches, path, fmt, ctx)
    return parse_batches(path, fmt, ctx)


PARSE_IN_CHILD = True  # tests turn it off to run the same import in one process


def parse_batches(path: Path, fmt: str, ctx: ReadContext) -> Iterator[Batch]:
    for rows_read, items in parse_chunks(path, fmt, ctx):
        records = [item for item in items if isinstance(item, OrderRecord)]
        errors = [item for item in items if isinstance(item, RowError)]
        yield rows_read, to_rows(records), errors


Chunk = tuple[int, list[OrderRecord | RowError]]  # (rows of the file read so far, parsed items)


def parse_chunks(path: Path, fmt: str, ctx: ReadContext) -> Iterator[Chunk]:
    """Parsed items in chunks of about BATCH_ORDERS orders, cut only between orders."""
    table = open_table(path)
    counter = _RowCounter(table.rows)
    table.rows = iter(counter)
    chunk: list[OrderRecord | RowError] = []
    keys: set[tuple[str, str, str]] = set()
    for item in FORMATS[fmt]().read(table, ctx):
        if isinstance(item, OrderRecord):
            if len(keys) >= BATCH_ORDERS and item.key not in keys:
                yield counter.count, chunk
                chunk, keys = [], set()
            keys.add(item.key)
        chunk.append(item)
    yield counter.count, chunk


class _RowCounter:
    def __init__(self, rows: Iterator[tuple[int, list[str]]]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for row in self.rows:
            self.count += 1
            yield row


def default_rejects_path(path: Path) -> Path:
    return Path.cwd() / f"{path.stem}.rejected.csv"
