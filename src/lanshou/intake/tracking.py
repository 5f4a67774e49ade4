"""Import tracking events: re-imports add nothing (events are unique by number, time and raw status)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.carriers.kuaidi100.file import read_kuaidi100_file
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.events import EventBus, bus
from lanshou.files.tabular import FileRefused, open_table
from lanshou.intake import pipeline
from lanshou.intake.pipeline import Batch, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import RowError, TrackingEventRecord
from lanshou.platforms.generic.tracking import read_tracking
from lanshou.platforms.values import zone
from lanshou.tracking.record import record_events
from lanshou.tracking.store import EVENT_KEY

BATCH_EVENTS = 5000
FORMATS = ("generic", "kuaidi100")  # generic: CSV/XLSX columns; kuaidi100: pushes or query replies (JSON)


def import_tracking(
    engine: Engine,
    path: str | Path,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
    fmt: str = "generic",
) -> ImportReport:
    """Naive times in a tracking file are read in --timezone, else Asia/Shanghai (carriers' clock)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise FileRefused(f"未知格式 unknown tracking format {fmt!r} (known: {', '.join(FORMATS)})")
    report = ImportReport(file=str(path), kind="tracking", fmt=fmt)
    parsed = pipeline.batches(parse_batches, path, timezone or DEFAULT_TIMEZONE, fmt)
    store = partial(_store, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(conn: Connection, rows: list[dict[str, Any]], events: EventBus) -> Stored:
    # events for parcels not imported yet are kept: the orders import brings their parcels later
    recorded = record_events(conn, rows, events)
    return Stored(inserted=recorded.new, unchanged=recorded.repeated, lines=recorded.new)


def _read(path: Path, timezone: str, fmt: str) -> Iterator[TrackingEventRecord | RowError]:
    if fmt == "kuaidi100":
        return read_kuaidi100_file(path)  # times carry their zone (China time)
    return read_tracking(open_table(path), zone(timezone))


def parse_batches(path: Path, timezone: str, fmt: str = "generic") -> Iterator[Batch]:
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[RowError] = []
    rows_read = 0
    for item in _read(path, timezone, fmt):
        rows_read += 1
        if isinstance(item, RowError):
            errors.append(item)
            continue
        row = {
            "tracking_no": item.tracking_no,
            "carrier": item.carrier,
            "event_time": item.event_time,
            "status": item.status or None,  # "" from a reader: nothing could read it
            "raw_status": item.raw_status,
            "location": item.location,
            "description": item.description,
        }
        batch[tuple(row[k] for k in EVENT_KEY)] = row  # a repeated line in one batch is one event
        if len(batch) >= BATCH_EVENTS:
            yield rows_read, list(batch.values()), errors
            batch, errors = {}, []
    yield rows_read, list(batch.values()), errors
