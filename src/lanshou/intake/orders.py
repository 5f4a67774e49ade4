"""Import an orders file (generic or a platform's own export) into the store."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine

from lanshou.events import EventBus, OrdersChanged, bus
from lanshou.files.tabular import FileRefused, open_table
from lanshou.intake import pipeline
from lanshou.intake.pipeline import Batch, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import OrderRecord, RowError
from lanshou.orders.rows import OrderRows, to_rows
from lanshou.orders.store import OrderStore
from lanshou.platforms.base import FORMATS, ReadContext
from lanshou.platforms.registry import load_platforms
from lanshou.shops.store import ShopDirectory

BATCH_ORDERS = 5000  # fewer commits: each costs a WAL append and sometimes a checkpoint


def import_orders(
    engine: Engine,
    path: str | Path,
    fmt: str = "generic",
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
) -> ImportReport:
    """Read, validate and store an orders file, a batch of orders per transaction."""
    load_platforms()
    if fmt not in FORMATS:
        raise FileRefused(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
    path = Path(path)
    report = ImportReport(file=str(path), kind="orders", fmt=fmt)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    store = partial(_store, shops=shops, source=path.name, events=events)
    parsed = pipeline.batches(parse_batches, path, fmt, ctx)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(
    conn: Connection, orders: list[OrderRows], shops: ShopDirectory, source: str, events: EventBus
) -> Stored:
    result = OrderStore(conn, shops).save(orders, source=source)
    keys = [(shops.ids[(o.platform, o.shop)], o.order_no) for o in orders]
    events.publish(conn, OrdersChanged(tuple(keys + result.riders)))  # riders: in a parcel it changed
    return Stored(result.inserted, result.updated, result.unchanged, result.lines, result.rejected)


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
