"""One pipeline for every file kind (orders, tracking events, feedback).

A kind supplies two things: `parse`, which yields an `Opened` (the file's header and sheet), batches of
plain rows, then `Notes` for the summary (run in a forked child when there is a second core, so parsing
and writing overlap), and `store`, which writes one batch inside the transaction the pipeline opens and
publishes what changed. The pipeline owns the rest: a transaction per
batch (a crash never leaves half a batch), bad rows to the rejects file, the counts, and, once everything is
committed, letting the subscribers catch up (`bus.settle`: e.g. the metric rollups). From the second batch
on, those that can catch up in a forked child while the next batches are stored (lanshou.intake.alongside).

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
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from lanshou.db.engine import checkpointing_beside, run_transaction
from lanshou.events import EventBus, bus
from lanshou.files.tabular import FileRefused, Table, open_table
from lanshou.forked import can_fork, produced_in_child
from lanshou.gc_pause import paused_for_batches
from lanshou.intake.alongside import CatchUpAlongside
from lanshou.intake.report import REASON, ImportReport, RejectWriter
from lanshou.orders.records import RowError

Progress = Callable[[int], None]  # called with the number of rows read so far


class Batch(NamedTuple):
    rows: int  # rows of the file read so far
    items: list[Any]  # good items, ready for `store`
    errors: list[RowError]  # bad rows
    duplicates: int = 0  # rows identical to an earlier one, left out


@dataclass
class Opened:
    """What a parse yields first: the file's header (the rejects file repeats it) and the sheet read."""

    header: list[str]
    sheet: str = ""
    absent: list[str] = field(default_factory=list)  # orders: the record fields the file has no column for


@dataclass
class Notes:
    """What a parse yields last: lines for the summary (e.g. each unknown carrier once)."""

    lines: list[str]


Parsed = Iterator[Batch | Opened | Notes]

PARSE_IN_CHILD = True  # tests turn it off to run the same import in one process


@dataclass
class Stored:
    """What storing one batch did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[RowError] = field(default_factory=list)
    unmatched: int = 0


Store = Callable[[Connection, list[Any]], Stored]


def batches(parse: Callable[..., Parsed], *args: Any) -> Parsed:
    """parse(*args), in a forked child when there is a second core. The batches travel pickled, so they
    should be plain tuples or dicts (pickling rich records costs as much as parsing them: measured)."""
    if PARSE_IN_CHILD and can_fork():
        return produced_in_child(parse, *args)
    return parse(*args)


def run(
    engine: Engine,
    report: ImportReport,
    parsed: Parsed,
    store: Store,
    rejects: Path | None = None,
    progress: Progress | None = None,
    events: EventBus = bus,
    reason_column: str = REASON,
) -> ImportReport:
    """Store every batch, then let the subscribers catch up once (on PostgreSQL a child catches up beside
    the writer meanwhile). (Catching up in this process after each batch, while the forked parser read
    the next, was slower: the writer waited for each refresh; measured, bench/import/README.md.)"""
    reread = partial(rows_at, Path(report.file), report)
    writer = RejectWriter(rejects or default_rejects_path(Path(report.file)), report, reread, reason_column)
    finished = False
    alongside = CatchUpAlongside(engine, events)
    batches_stored = 0
    try:
        with paused_for_batches() as batch_done:
            for message in parsed:
                if isinstance(message, Opened):
                    writer.header, report.sheet = message.header, message.sheet
                    continue
                if isinstance(message, Notes):
                    report.notes.extend(message.lines)
                    continue
                report.rows = message.rows
                report.duplicates += message.duplicates
                if progress is not None:
                    progress(message.rows)
                for error in message.errors:
                    writer.add(error)
                if message.items:
                    if batches_stored:
                        alongside.start()  # the batches stored so far are derived while this one is stored
                    batches_stored += 1
                    stored = run_transaction(engine, partial(_store_batch, store, message.items))
                    alongside.committed()
                    _count(report, stored, writer)
                    batch_done()
        finished = True
    finally:
        try:
            alongside.stop()
        finally:
            writer.close(finished)
    # part of the import's cost: the log it wrote goes into the database file, beside the settle (issue 9's
    # file, SQLite, interleaved pairs: orders a median 1.4 s sooner in seven, tracking 0.2-1.9 s in two, than
    # a checkpoint before the settle; bench/import/README.md)
    with checkpointing_beside(engine):
        events.settle(engine)
    return report


def _store_batch(store: Store, items: list[Any], conn: Connection) -> Stored:
    return store(conn, items)


def _count(report: ImportReport, stored: Stored, writer: RejectWriter) -> None:
    report.inserted += stored.inserted
    report.updated += stored.updated
    report.unchanged += stored.unchanged
    report.lines += stored.lines
    report.unmatched += stored.unmatched
    for error in stored.rejected:
        writer.add(error)


def fits(read: Callable[[Table], Iterator[Any]]) -> Callable[[Table], bool]:
    """Whether a sheet's header has what a reader requires (it refuses the table otherwise): the check
    open_table uses to pick a workbook's sheet."""

    def check(table: Table) -> bool:
        probe = Table(table.path, table.header, iter(()), table.encoding, table.sheet)
        try:
            next(iter(read(probe)), None)
        except FileRefused:
            return False
        return True

    return check


def rows_at(path: Path, report: ImportReport, lines: set[int]) -> dict[int, list[str]]:
    """The input's cells at these lines (read again: rows rejected when stored, e.g. a status going
    backwards, kept no cells on the way)."""
    found: dict[int, list[str]] = {}
    if report.kind != "orders":
        return found
    table = open_table(path, report.sheet or None)
    for line, row in table.rows:
        if line in lines:
            found[line] = row
            if len(found) == len(lines):
                break
    return found


def default_rejects_path(path: Path) -> Path:
    """Beside the input: orders.csv -> orders.rejected.csv."""
    return path.with_name(f"{path.stem}.rejected.csv")


class Distinct:
    """Passes each distinct row once (by its cells) and counts the repeats. Only rows of one batch are
    remembered: a repeat in a later batch is stored again as the same values, which changes nothing."""

    def __init__(self, rows: Iterator[tuple[int, list[str]]]) -> None:
        self.rows = rows
        self.count = 0  # rows read, repeats included
        self.duplicates = 0
        self.undecodable = 0  # rows the table left out (bytes that are not text), counted by the caller
        self._seen: set[tuple[str, ...]] = set()  # the cells themselves: a hash could be shared
        self._last: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        seen = self._seen
        for line, row in self.rows:
            self.count += 1
            key = tuple(row)
            if key in seen:
                self.duplicates += 1
                continue
            seen.add(key)
            self._last = key
            yield line, row

    def next_batch(self) -> int:
        """Forget all rows but the last (a reader may have read it ahead for the next batch); the repeats
        counted since the last call."""
        self._seen.clear()
        self._seen.add(self._last)
        found, self.duplicates = self.duplicates, 0
        return found


def open_rows(table: Table) -> Distinct:
    """The table's rows, each distinct row once (table.rows is replaced by them)."""
    distinct = Distinct(table.rows)
    table.rows = iter(distinct)
    return distinct


def undecodable(table: Table) -> list[RowError]:
    """The rows the table left out since the last call, because bytes in them are not text."""
    return [
        RowError(table.name, line, "", f"bytes that are not {table.encoding} text (shown as \\xNN)", row)
        for line, row in table.take_undecodable()
    ]
