"""Import tracking events: re-imports add nothing (events are unique by number, time and raw status)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.carriers.kuaidi100.file import read_kuaidi100_file
from lanshou.carriers.registry import CarrierNames
from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.bulk import time_text
from lanshou.events import EventBus, bus
from lanshou.files.tabular import FileRefused, Table, open_table
from lanshou.intake import pipeline
from lanshou.intake.checks import checked_file, checked_timezone
from lanshou.intake.limits import from_tables
from lanshou.intake.pipeline import Batch, Notes, Opened, Parsed, Progress, Stored
from lanshou.intake.report import ImportReport
from lanshou.orders.records import RowError, TrackingEventRecord
from lanshou.platforms.generic.tracking import read_tracking
from lanshou.platforms.limits import DEFAULT, Limits, event_problem
from lanshou.platforms.values import zone
from lanshou.tracking.record import record_events
from lanshou.tracking.store import EVENT_KEY

# Events arrive at random times and numbers, so each batch's inserts land all over the indexes; a larger
# batch shares more pages per commit (1M events: 5,000 a batch 23.7 s, 20,000 19.1 s; 50,000 no faster).
BATCH_EVENTS = 20000
FORMATS = ("generic", "kuaidi100")  # generic: CSV/XLSX columns; kuaidi100: pushes or query replies (JSON)


def import_tracking(
    engine: Engine,
    path: str | Path,
    timezone: str | None = None,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
    fmt: str = "generic",
    sheet: str | None = None,
) -> ImportReport:
    """Naive times in a tracking file are read in --timezone, else Asia/Shanghai (carriers' clock)."""
    if fmt not in FORMATS:
        raise FileRefused(f"未知格式 unknown tracking format {fmt!r} (known: {', '.join(FORMATS)})")
    path = checked_file(path, rejects)
    checked_timezone(timezone)
    report = ImportReport(file=str(path), kind="tracking", fmt=fmt)
    parsed = pipeline.batches(parse_batches, path, timezone or DEFAULT_TIMEZONE, fmt, sheet, from_tables())
    store = partial(_store, events=events)
    return pipeline.run(engine, report, parsed, store, rejects, progress, events)


def _store(conn: Connection, rows: list[dict[str, Any]], events: EventBus) -> Stored:
    # events for parcels not imported yet are kept: the orders import brings their parcels later
    recorded = record_events(conn, rows, events)
    return Stored(inserted=recorded.new, unchanged=recorded.repeated, lines=recorded.new)


def parse_batches(
    path: Path,
    timezone: str,
    fmt: str = "generic",
    sheet: str | None = None,
    limits: Limits = DEFAULT,
) -> Parsed:
    carriers = CarrierNames()
    table: Table | None = None
    distinct: pipeline.Distinct | None = None
    if fmt == "kuaidi100":  # times carry their zone (China time)
        items: Iterator[TrackingEventRecord | RowError] = read_kuaidi100_file(path)
        yield Opened(["json"])
    else:
        tz = zone(timezone)
        table = open_table(path, sheet, pipeline.fits(lambda t: read_tracking(t, tz, limits)))
        distinct = pipeline.open_rows(table)
        read = read_tracking(table, tz, limits)
        first = next(read, None)  # the reader checks the header before its first item
        items = itertools.chain([first] if first is not None else [], read)
        yield Opened(table.header, table.sheet)
    batch: dict[tuple[Any, ...], dict[str, Any]] = {}
    errors: list[RowError] = []
    items_read = repeated = 0

    def done() -> Batch:
        if table is None or distinct is None:
            return Batch(items_read, list(batch.values()), errors, repeated)
        bad = pipeline.undecodable(table)
        distinct.undecodable += len(bad)
        rows = distinct.count + distinct.undecodable
        return Batch(rows, list(batch.values()), errors + bad, repeated + distinct.next_batch())

    for item in items:
        items_read += 1
        if isinstance(item, RowError):
            errors.append(item)
            continue
        problem = event_problem(item, limits) if table is None else None  # the CSV reader checked already
        if problem is not None:
            errors.append(RowError(path.name, item.source_line, problem[0], problem[1], []))
            continue
        row = {
            "tracking_no": item.tracking_no,
            "carrier": carriers.code(item.carrier),  # one carrier, one code (圆通速递, YTO -> yto)
            # as the text SQLite stores (bound as it is there): a datetime costs 3 µs more a row to pickle in
            # this child and 2 µs to unpickle and adapt in the writer, which parses it back in 0.6
            "event_time": time_text(item.event_time),
            "status": item.status or None,  # "" from a reader: nothing could read it
            "raw_status": item.raw_status,
            "location": item.location,
            "description": item.description,
        }
        key = tuple(row[k] for k in EVENT_KEY)
        repeated += key in batch  # a repeated event in one batch is one event, counted as a duplicate
        batch[key] = row
        if len(batch) >= BATCH_EVENTS:
            yield done()
            batch, errors, repeated = {}, [], 0
    yield done()
    yield Notes(carriers.summary())
