"""Import an orders file (generic or a platform's own export) into the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine

from lanshou.db.order_store import OrderStore, ShopDirectory
from lanshou.db.rollups import mark_dirty
from lanshou.files.tabular import FileRefused, open_table
from lanshou.imports.report import ImportReport, RejectWriter
from lanshou.orders.records import OrderRecord, RowError
from lanshou.platforms.base import FORMATS, ReadContext
from lanshou.platforms.registry import load_formats

BATCH_ORDERS = 1000

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
    load_formats()
    if fmt not in FORMATS:
        raise FileRefused(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})")
    path = Path(path)
    report = ImportReport(file=str(path), kind="orders", fmt=fmt)
    writer = RejectWriter(rejects or default_rejects_path(path), report)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
        conn.commit()
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    table = open_table(path)
    table.rows = _counted(table.rows, report, progress)
    items = FORMATS[fmt]().read(table, ctx)
    try:
        for batch in _batches(items, writer):
            with engine.begin() as conn:  # one transaction per batch: a crash loses no finished order
                store = OrderStore(conn, shops)
                result = store.save(batch, source=path.name)
                mark_dirty(conn, ((shops.ids[(r.platform, r.shop)], r.order_no) for r in batch))
            report.inserted += result.inserted
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.lines += result.lines
            for error in result.rejected:
                writer.add(error)
    finally:
        writer.close()
    return report


def _batches(items: Iterator[OrderRecord | RowError], writer: RejectWriter) -> Iterator[list[OrderRecord]]:
    """Batches of about BATCH_ORDERS orders, cut only between orders so no order is split."""
    batch: list[OrderRecord] = []
    keys: set[tuple[str, str, str]] = set()
    for item in items:
        if isinstance(item, RowError):
            writer.add(item)
            continue
        if len(keys) >= BATCH_ORDERS and item.key not in keys:
            yield batch
            batch, keys = [], set()
        batch.append(item)
        keys.add(item.key)
    if batch:
        yield batch


def _counted(
    rows: Iterator[tuple[int, list[str]]], report: ImportReport, progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    """Count the file's rows as the reader consumes them (readers may yield one record per order)."""
    for item in rows:
        report.rows += 1
        if progress is not None and report.rows % 5000 == 0:
            progress(report.rows)
        yield item
    if progress is not None:
        progress(report.rows)


def default_rejects_path(path: Path) -> Path:
    return Path.cwd() / f"{path.stem}.rejected.csv"
