"""Import tracking events: batched INSERT … ON CONFLICT DO NOTHING, so re-imports add nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import insert_new
from lanshou.files.tabular import open_table
from lanshou.intake.orders import default_rejects_path
from lanshou.intake.report import ImportReport, RejectWriter
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.source import keys_for_tracking
from lanshou.orders.records import RowError, TrackingEventRecord
from lanshou.platforms.generic.tracking import read_tracking
from lanshou.platforms.values import zone
from lanshou.tracking import tables as tt

BATCH_EVENTS = 5000
EVENT_KEY = ("tracking_no", "event_time", "raw_status")


def import_tracking(
    engine: Engine,
    path: str | Path,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Naive times in a tracking file are read in --timezone, else Asia/Shanghai (carriers' clock)."""
    path = Path(path)
    report = ImportReport(file=str(path), kind="tracking", fmt="generic")
    writer = RejectWriter(rejects or default_rejects_path(path), report)
    items = read_tracking(open_table(path), zone(timezone or DEFAULT_TIMEZONE))
    try:
        for batch in _event_batches(items, writer, report, progress):
            with engine.begin() as conn:
                new = insert_new(conn, tt.tracking_events, batch, EVENT_KEY)
                # events for parcels not imported yet mark nothing: the order import will
                mark_dirty(conn, keys_for_tracking(conn, {str(row["tracking_no"]) for row in batch}))
            report.inserted += new
            report.unchanged += len(batch) - new
    finally:
        writer.close()
    report.lines = report.inserted
    return report


def _event_batches(
    items: Iterator[TrackingEventRecord | RowError],
    writer: RejectWriter,
    report: ImportReport,
    progress: Callable[[int], None] | None,
) -> Iterator[list[dict[str, Any]]]:
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    for item in items:
        report.rows += 1
        if progress is not None and report.rows % 5000 == 0:
            progress(report.rows)
        if isinstance(item, RowError):
            writer.add(item)
            continue
        row = {
            "tracking_no": item.tracking_no,
            "carrier": item.carrier,
            "event_time": item.event_time,
            "status": item.status,
            "raw_status": item.raw_status,
            "location": item.location,
            "description": item.description,
        }
        batch[tuple(row[k] for k in EVENT_KEY)] = row  # a repeated line in one batch is one event
        if len(batch) >= BATCH_EVENTS:
            yield list(batch.values())
            batch = {}
    if batch:
        yield list(batch.values())
