"""Import an orders file (generic or a platform's own export) into the store."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine

from lanshou.carriers.registry import CarrierNames
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.events import EventBus, OrdersChanged, OrdersImported, bus
from lanshou.files.tabular import FileRefused, Table, open_table
from lanshou.intake import pipeline
from lanshou.intake.checks import checked_file, checked_timezone, refuse_moved_timezone
from lanshou.intake.limits import from_tables
from lanshou.intake.pipeline import Batch, Notes, Opened, Parsed, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import OrderRecord, RowError
from lanshou.orders.rows import OrderRows, kept_fields, to_rows
from lanshou.orders.store import OrderStore
from lanshou.platforms.base import FORMATS, ReadContext
from lanshou.platforms.registry import load_platforms
from lanshou.shops.store import ShopDirectory

# Orders a transaction. Larger batches share more index pages per commit (buyers' keys land at random):
# 1M lines, 5,000 -> 10,000: the import step 33.1k -> 35.1k-35.9k lines/s, peak RSS 130 -> 225 MB.
BATCH_ORDERS = 10000
# The first batch is small and each next one twice the last, up to BATCH_ORDERS: the writer starts on the
# first one while the parser reads on, instead of waiting for a whole BATCH_ORDERS to be parsed.
FIRST_BATCH_ORDERS = 1000


def import_orders(
    engine: Engine,
    path: str | Path,
    fmt: str = "generic",
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
    sheet: str | None = None,
) -> ImportReport:
    """Read, validate and store an orders file, a batch of orders per transaction."""
    load_platforms()
    if fmt not in FORMATS:
        raise FileRefused(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
    path = checked_file(path, rejects)
    checked_timezone(timezone)
    report = ImportReport(file=str(path), kind="orders", fmt=fmt)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    refuse_moved_timezone(shops.timezones, shop, timezone)
    ctx = ReadContext(
        shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones), limits=from_tables()
    )
    absent: set[str] = set()  # filled from the parse's Opened before the first batch is stored
    # the new orders go out as written, so they are derived as they are stored (measured on issue 9's file:
    # a quarter less CPU; on PostgreSQL, where a child otherwise derives them beside the writer, the same
    # wall-clock time)
    store = partial(
        _store, shops=shops, source=path.name, events=events, timezone=timezone, absent=absent, describe=True
    )
    parsed = _watch(pipeline.batches(parse_batches, path, fmt, ctx, sheet), absent)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _watch(parsed: Parsed, absent: set[str]) -> Parsed:
    for message in parsed:
        if isinstance(message, Opened):
            absent.update(message.absent)
        yield message


def _store(
    conn: Connection,
    orders: list[OrderRows],
    shops: ShopDirectory,
    source: str,
    events: EventBus,
    timezone: str | None = None,
    absent: set[str] | None = None,
    describe: bool = False,
) -> Stored:
    """`describe`: the new orders go out as written (OrdersChanged.created): a file import's subscribers
    derive them at once instead of reading them back (the API's batch ingest leaves that to its job)."""
    for key in dict.fromkeys((o.platform, o.shop) for o in orders):  # a new shop keeps --timezone
        shops.ensure(conn, *key, timezone=timezone or DEFAULT_TIMEZONE)
    keep = kept_fields(frozenset(absent or ()))
    result = OrderStore(conn, shops).save(orders, source=source, keep=keep, describe=describe)
    # an unchanged order is not derived again
    events.publish(conn, OrdersChanged(tuple(result.changed), tuple(result.created)))
    events.publish(conn, OrdersImported(tuple((shops.ids[(o.platform, o.shop)], o.order_no) for o in orders)))
    return Stored(result.inserted, result.updated, result.unchanged, result.lines, result.rejected)


def parse_batches(path: Path, fmt: str, ctx: ReadContext, sheet: str | None = None) -> Parsed:
    carriers = CarrierNames()
    for message in parse_chunks(path, fmt, ctx, sheet):
        if not isinstance(message, Batch):
            yield message
            continue
        records = [item for item in message.items if isinstance(item, OrderRecord)]
        errors = [item for item in message.items if isinstance(item, RowError)]
        for record in records:
            for parcel in record.parcels:  # 圆通速递, YTO, yuantong -> yto: one carrier, one code
                parcel.carrier = carriers.code(parcel.carrier)
        yield Batch(message.rows, to_rows(records), errors + message.errors, message.duplicates)
    yield Notes(carriers.summary())


def parse_chunks(
    path: Path, fmt: str, ctx: ReadContext, sheet: str | None = None
) -> Iterator[Batch | Opened]:
    """Parsed items in chunks of FIRST_BATCH_ORDERS orders, then twice as many each time up to BATCH_ORDERS,
    cut only between orders (Batch.items holds records and RowErrors), after an Opened with the header."""
    table = open_table(path, sheet, pipeline.fits(lambda t: FORMATS[fmt]().read(t, ctx)))
    rows = pipeline.open_rows(table)
    items = iter(FORMATS[fmt]().read(table, ctx))
    first = next(items, None)  # the reader checks the header before its first item
    yield Opened(table.header, table.sheet, sorted(ctx.absent))
    chunk: list[OrderRecord | RowError] = []
    keys: set[tuple[str, str, str]] = set()
    size = min(FIRST_BATCH_ORDERS, BATCH_ORDERS)
    for item in ([first] if first is not None else []), items:
        for one in item:
            if isinstance(one, OrderRecord):
                if len(keys) >= size and one.key not in keys:
                    yield _batch(table, rows, chunk)
                    chunk, keys = [], set()
                    size = min(2 * size, BATCH_ORDERS)
                keys.add(one.key)
            chunk.append(one)
    yield _batch(table, rows, chunk)


def _batch(table: Table, rows: pipeline.Distinct, chunk: list[OrderRecord | RowError]) -> Batch:
    bad = pipeline.undecodable(table)
    rows.undecodable += len(bad)
    return Batch(rows.count + rows.undecodable, list(chunk), bad, rows.next_batch())
