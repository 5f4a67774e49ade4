"""The outcome of one import, and the rejected-rows CSV written beside its file.

The rejects file is the input's own layout: its header and each rejected row's cells as they were, plus
a `reason` column. Fix the cells and import the file as it is (readers ignore the `reason` column); an
older rejects file of the same input is replaced, and removed when a run rejects nothing.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from lanshou.files.export import safe_cell
from lanshou.orders.records import RowError

KEEP_IN_MEMORY = 200  # the first rejected rows are kept for display; all of them go to the CSV
REASON = "reason"


@dataclass
class ImportReport:
    """Counts of one import. For tracking and feedback files (one row, one item) rows = inserted +
    updated + unchanged + duplicates + rejected_count; an orders file counts orders (several rows may be
    one order), so there rows = rows kept + duplicates + rejected_count."""

    file: str
    kind: str
    fmt: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    duplicates: int = 0  # rows identical to an earlier row of the file: read once
    unmatched: int = 0  # feedback for an order not imported (yet): kept, matched when the order arrives
    rejected_count: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_path: Path | None = None
    sheet: str = ""  # the worksheet read, for a workbook
    notes: list[str] = field(default_factory=list)  # e.g. each unknown carrier, once

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0

    @property
    def kept(self) -> int:
        """Rows of the file that were stored or found unchanged."""
        return self.rows - self.duplicates - self.rejected_count

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "format": self.fmt,
            "sheet": self.sheet or None,
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "lines": self.lines,
            "duplicates": self.duplicates,
            "unmatched": self.unmatched,
            "rejected": self.rejected_count,
            "rejected_file": str(self.rejected_path) if self.rejected_path else None,
            "notes": list(self.notes),
        }


def reason_text(error: RowError) -> str:
    column = f" [{error.column}]" if error.column else ""
    return f"line {error.line}{column}: {error.reason}"


class RejectWriter:
    """Streams rejected rows to CSV: the input's header and cells, and why each row was rejected. A cell a
    spreadsheet would run as a formula (a buyer's message "=HYPERLINK(…)") is written guarded ("'=…", as
    every export is); importing the file reads it unguarded, so a fixed rejects file imports as it was."""

    def __init__(
        self,
        path: Path,
        report: ImportReport,
        reread: Callable[[set[int]], dict[int, list[str]]] | None = None,
        reason_column: str = REASON,
    ) -> None:
        self.path = path
        # the column saying why (a format with its own `reason` column, after-sales, names it otherwise)
        self.reason_column = reason_column
        self.report = report
        self.reread = reread  # the input's cells at some lines, for rows rejected when stored (no cells kept)
        self.later: list[RowError] = []
        self.header: list[str] = []
        self._stream: IO[str] | None = None
        self._writer: Any = None
        self._reason_at = -1

    def add(self, error: RowError) -> None:
        if not error.raw and error.line and self.reread is not None:
            self.later.append(error)  # written at close, with its cells read again from the input
            self._count(error)
            return
        self._write(error)
        self._count(error)

    def _count(self, error: RowError) -> None:
        self.report.rejected_count += 1
        if len(self.report.rejected) < KEEP_IN_MEMORY:
            self.report.rejected.append(error)

    def _write(self, error: RowError) -> None:
        if self._writer is None:
            self._open()
        cells = list(error.raw)
        width = len(self.header) if self._reason_at < 0 else self._reason_at
        if self._reason_at >= 0:  # a rejects file imported again: its reason column gets the new reason
            cells += [""] * (self._reason_at + 1 - len(cells))
            cells[self._reason_at] = reason_text(error)
        else:
            cells = cells[:width] + [""] * (width - len(cells)) + cells[width:]
            cells.insert(width, reason_text(error))
        self._writer.writerow([safe_cell(cell) for cell in cells])  # read back unguarded (files.tabular)

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._stream)
        header = list(self.header)
        if self.reason_column in header:
            self._reason_at = header.index(self.reason_column)
        else:
            header.append(self.reason_column)
        self._writer.writerow([safe_cell(cell) for cell in header])
        self.report.rejected_path = self.path

    def close(self, finished: bool = True) -> None:
        if self.later and self.reread is not None:
            try:
                cells = self.reread({e.line for e in self.later})
            except Exception:  # the input changed or went away since: the reasons are still worth writing
                cells = {}
            for error in self.later:
                self._write(
                    RowError(error.file, error.line, error.column, error.reason, cells.get(error.line, []))
                )
            self.later = []
        if self._stream is not None:
            self._stream.close()
        elif finished and self.path.exists():
            self.path.unlink()  # a clean run: the rejects of an earlier run are fixed or gone
