"""Import buyer feedback: one row per (shop, order, time), so re-imports change nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from lanshou.customers import tables as ct
from lanshou.db.bulk import insert_new
from lanshou.files.tabular import open_table
from lanshou.intake.orders import default_rejects_path
from lanshou.intake.report import ImportReport, RejectWriter
from lanshou.metrics.rollups import mark_dirty
from lanshou.orders.records import RowError
from lanshou.platforms.base import ReadContext
from lanshou.platforms.generic.feedback import read_feedback
from lanshou.shops.store import ShopDirectory

BATCH_FEEDBACK = 2000
FEEDBACK_KEY = ("shop_id", "order_no", "created_at")


def import_feedback(
    engine: Engine,
    path: str | Path,
    shop: str | None = None,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    path = Path(path)
    report = ImportReport(file=str(path), kind="feedback", fmt="generic")
    writer = RejectWriter(rejects or default_rejects_path(path), report)
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    ctx = ReadContext(shop=shop, timezone=timezone, shop_timezones=dict(shops.timezones))
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}

    def flush() -> None:
        with engine.begin() as conn:
            for row in batch.values():
                row["shop_id"] = shops.ensure(conn, row.pop("platform"), row.pop("shop"))
            rows = {tuple(r[k] for k in FEEDBACK_KEY): r for r in batch.values()}
            new = insert_new(conn, ct.feedback, list(rows.values()), FEEDBACK_KEY)
            mark_dirty(conn, ((r["shop_id"], r["order_no"]) for r in rows.values()))
        report.inserted += new
        report.unchanged += len(rows) - new
        batch.clear()

    try:
        for item in read_feedback(open_table(path), ctx):
            report.rows += 1
            if progress is not None and report.rows % 5000 == 0:
                progress(report.rows)
            if isinstance(item, RowError):
                writer.add(item)
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
                flush()
        if batch:
            flush()
    finally:
        writer.close()
    report.lines = report.inserted
    return report
