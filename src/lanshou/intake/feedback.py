"""Import buyer feedback: one row per (shop, order, time), so re-imports change nothing.

Feedback never creates a shop: a row naming a shop no orders import brought is rejected (a misspelt name
would otherwise become a phantom shop in every report). Feedback for an order not imported yet is kept and
counted (`unmatched`); the order's own import matches it (the metrics read feedback by shop and order).
"""

from __future__ import annotations

import itertools
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, select

from lanshou.customers.store import FEEDBACK_KEY, store_feedback
from lanshou.events import EventBus, FeedbackArrived, bus
from lanshou.files.tabular import open_table
from lanshou.intake import pipeline
from lanshou.intake.checks import checked_file, checked_timezone, refuse_moved_timezone
from lanshou.intake.limits import from_tables
from lanshou.intake.pipeline import Batch, Opened, Parsed, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.keys import by_shop
from lanshou.orders.records import RowError
from lanshou.orders.tables import orders
from lanshou.platforms.base import ReadContext
from lanshou.platforms.generic.feedback import read_feedback
from lanshou.shops.store import ShopDirectory

BATCH_FEEDBACK = 2000


def import_feedback(
    engine: Engine,
    path: str | Path,
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
    sheet: str | None = None,
) -> ImportReport:
    path = checked_file(path, rejects)
    checked_timezone(timezone)
    report = ImportReport(file=str(path), kind="feedback", fmt="generic")
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    refuse_moved_timezone(shops.timezones, shop, timezone)
    ctx = ReadContext(
        shop=shop,
        timezone=timezone,
        shop_timezones=dict(shops.timezones),
        limits=from_tables(),
        known_shops_only=True,
    )
    parsed = pipeline.batches(parse_batches, path, ctx, sheet)
    store = partial(_store, shops=shops, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(conn: Connection, batch: list[dict[str, Any]], shops: ShopDirectory, events: EventBus) -> Stored:
    keyed = []  # new dicts: the batch itself stays as parsed, so a retried transaction can store it again
    for row in batch:
        shop_id = shops.ids[(row["platform"], row["shop"])]  # the reader kept only stored shops
        keyed.append({"shop_id": shop_id, **{k: v for k, v in row.items() if k not in ("platform", "shop")}})
    rows = list({tuple(r[k] for k in FEEDBACK_KEY): r for r in keyed}.values())
    new = store_feedback(conn, rows)
    events.publish(conn, FeedbackArrived(tuple((r["shop_id"], r["order_no"]) for r in rows)))
    unmatched = _unmatched(conn, {(r["shop_id"], r["order_no"]) for r in rows})
    return Stored(inserted=new, unchanged=len(rows) - new, lines=new, unmatched=unmatched)


def _unmatched(conn: Connection, keys: set[tuple[int, str]]) -> int:
    """How many of the orders are not stored (yet)."""
    found = 0
    for shop_id, numbers in by_shop(sorted(keys)):
        query = select(orders.c.order_no).where(
            and_(orders.c.shop_id == shop_id, orders.c.order_no.in_(numbers))
        )
        found += len(conn.execute(query).all())
    return len(keys) - found


def parse_batches(path: Path, ctx: ReadContext, sheet: str | None = None) -> Parsed:
    table = open_table(path, sheet, pipeline.fits(lambda t: read_feedback(t, ctx)))
    distinct = pipeline.open_rows(table)
    read = read_feedback(table, ctx)
    first = next(read, None)  # the reader checks the header before its first item
    yield Opened(table.header, table.sheet)
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[RowError] = []
    repeated = 0

    def done() -> Batch:
        bad = pipeline.undecodable(table)
        distinct.undecodable += len(bad)
        rows = distinct.count + distinct.undecodable
        return Batch(rows, list(batch.values()), errors + bad, repeated + distinct.next_batch())

    for item in itertools.chain([first] if first is not None else [], read):
        if isinstance(item, RowError):
            errors.append(item)
            continue
        key = (item.platform, item.shop, item.order_no, item.created_at)
        repeated += key in batch  # one feedback per order and time: a repeat is a duplicate
        batch[key] = {
            "platform": item.platform,
            "shop": item.shop,
            "order_no": item.order_no,
            "created_at": item.created_at,
            "rating": item.rating,
            "tags": "|".join(item.tags),
            "content": item.content,
        }
        if len(batch) >= BATCH_FEEDBACK:
            yield done()
            batch, errors, repeated = {}, [], 0
    yield done()
