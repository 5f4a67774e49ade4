"""Import tracking events: re-imports add nothing (events are unique by number, time and raw status)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.events import EventBus, ParcelEventsArrived, bus
from lanshou.files.tabular import open_table
from lanshou.intake import pipeline
from lanshou.intake.pipeline import Batch, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import RowError
from lanshou.platforms.generic.tracking import read_tracking
from lanshou.platforms.values import zone
from lanshou.tracking.store import EVENT_KEY, store_events

BATCH_EVENTS = 5000


def import_tracking(
    engine: Engine,
    path: str | Path,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
) -> ImportReport:
    """Naive times in a tracking file are read in --timezone, else Asia/Shanghai (carriers' clock)."""
    path = Path(path)
    report = ImportReport(file=str(path), kind="tracking", fmt="generic")
    parsed = pipeline.batches(parse_batches, path, timezone or DEFAULT_TIMEZONE)
    store = partial(_store, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(conn: Connection, rows: list[dict[str, Any]], events: EventBus) -> Stored:
    new = store_events(conn, rows)
    # events for parcels not imported yet are kept: the orders import brings their parcels later
    events.publish(conn, ParcelEventsArrived(tuple({str(row["tracking_no"]) for row in rows})))
    return Stored(inserted=new, unchanged=len(rows) - new, lines=new)


def parse_batches(path: Path, timezone: str) -> Iterator[Batch]:
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[RowError] = []
    rows_read = 0
    for item in read_tracking(open_table(path), zone(timezone)):
        rows_read += 1
        if isinstance(item, RowError):
            errors.append(item)
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
            yield rows_read, list(batch.values()), errors
            batch, errors = {}, []
    yield rows_read, list(batch.values()), errors
