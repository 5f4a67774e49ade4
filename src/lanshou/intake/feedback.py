"""Import buyer feedback: one row per (shop, order, time), so re-imports change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.customers.store import FEEDBACK_KEY, store_feedback
from lanshou.events import EventBus, FeedbackArrived, bus
from lanshou.files.tabular import open_table
from lanshou.intake import pipeline
from lanshou.intake.pipeline import Batch, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import RowError
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
) -> ImportReport:
    path = Path(path)
    report = ImportReport(file=str(path), kind="feedback", fmt="generic")
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    parsed = pipeline.batches(parse_batches, path, ctx)
    store = partial(_store, shops=shops, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(conn: Connection, batch: list[dict[str, Any]], shops: ShopDirectory, events: EventBus) -> Stored:
    keyed = []  # new dicts: the batch itself stays as parsed, so a retried transaction can store it again
    for row in batch:
        shop_id = shops.ensure(conn, row["platform"], row["shop"])
        keyed.append({"shop_id": shop_id, **{k: v for k, v in row.items() if k not in ("platform", "shop")}})
    rows = list({tuple(r[k] for k in FEEDBACK_KEY): r for r in keyed}.values())
    new = store_feedback(conn, rows)
    events.publish(conn, FeedbackArrived(tuple((r["shop_id"], r["order_no"]) for r in rows)))
    return Stored(inserted=new, unchanged=len(rows) - new, lines=new)


def parse_batches(path: Path, ctx: ReadContext) -> Iterator[Batch]:
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[RowError] = []
    rows_read = 0
    for item in read_feedback(open_table(path), ctx):
        rows_read += 1
        if isinstance(item, RowError):
            errors.append(item)
            continue
        batch[(item.platform, item.shop, item.order_no, item.created_at)] = {
            "platform": item.platform,
            "shop": item.shop,
            "order_no": item.order_no,
            "created_at": item.created_at,
            "rating": item.rating,
            "tags": "|".join(item.tags),
            "content": item.content,
        }
        if len(batch) >= BATCH_FEEDBACK:
            yield rows_read, list(batch.values()), errors
            batch, errors = {}, []
    yield rows_read, list(batch.values()), errors
