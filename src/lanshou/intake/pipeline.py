"""One pipeline for every file kind (orders, tracking events, feedback).

A kind supplies two things: `parse`, which reads the file into batches of plain rows (run in a forked child
when there is a second core, so parsing and writing overlap), and `store`, which writes one batch inside the
transaction the pipeline opens and publishes what changed. The pipeline owns the rest: a transaction per
batch (a crash never leaves half a batch), bad rows to the rejects file, the counts, and, once everything is
committed, letting the subscribers catch up (`bus.settle`: e.g. the metric rollups).

Other processes may import at the same time: each batch is a write transaction (on SQLite it holds the
write lock from its first read), run again when the database reports a conflict with another transaction
(lanshou.db.engine.run_transaction). So `store` must leave its batch as it found it: a second run starts
from the same rows and from what is stored then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.db.engine import checkpoint, run_transaction
from lanshou.events import EventBus, bus
from lanshou.intake.forked import can_fork, produced_in_child
from lanshou.intake.report import ImportReport, RejectWriter
from lanshou.orders.records import RowError

Batch = tuple[int, list[Any], list[RowError]]  # (rows of the file read so far, good items, bad rows)
Progress = Callable[[int], None]  # called with the number of rows read so far

PARSE_IN_CHILD = True  # tests turn it off to run the same import in one process


@dataclass
class Stored:
    """What storing one batch did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[RowError] = field(default_factory=list)


Store = Callable[[Connection, list[Any]], Stored]


def batches(parse: Callable[..., Iterator[Batch]], *args: Any) -> Iterator[Batch]:
    """parse(*args), in a forked child when there is a second core. The batches travel pickled, so they
    should be plain tuples or dicts (pickling rich records costs as much as parsing them: measured)."""
    if PARSE_IN_CHILD and can_fork():
        return produced_in_child(parse, *args)
    return parse(*args)


def run(
    engine: Engine,
    report: ImportReport,
    parsed: Iterator[Batch],
    store: Store,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
) -> ImportReport:
    writer = RejectWriter(rejects or default_rejects_path(Path(report.file)), report)
    try:
        for rows_read, items, errors in parsed:
            report.rows = rows_read
            if progress is not None:
                progress(rows_read)
            for error in errors:
                writer.add(error)
            if items:
                stored = run_transaction(engine, partial(_store_batch, store, items))  # one per batch
                _count(report, stored, writer)
    finally:
        writer.close()
    checkpoint(engine)  # part of the import's cost: the log it wrote goes into the database file now
    events.settle(engine)
    return report


def _store_batch(store: Store, items: list[Any], conn: Connection) -> Stored:
    return store(conn, items)


def _count(report: ImportReport, stored: Stored, writer: RejectWriter) -> None:
    report.inserted += stored.inserted
    report.updated += stored.updated
    report.unchanged += stored.unchanged
    report.lines += stored.lines
    for error in stored.rejected:
        writer.add(error)


def default_rejects_path(path: Path) -> Path:
    return Path.cwd() / f"{path.stem}.rejected.csv"
