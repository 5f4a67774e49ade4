"""The outcome of one import, and the rejected-rows CSV written beside it."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lanshou.orders.records import RowError

KEEP_IN_MEMORY = 200  # the first rejected rows are kept for display; all of them go to the CSV


@dataclass
class ImportReport:
    file: str
    kind: str
    fmt: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected_count: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.rejected_count == 0


class RejectWriter:
    """Streams rejected rows to CSV: file, line, column, reason, then the row's own cells."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        self.path = path
        self.report = report
        self._stream: IO[str] | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]

    def add(self, error: RowError) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream = self.path.open("w", encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._stream)
            self._writer.writerow(["file", "line", "column", "reason", "row"])
            self.report.rejected_path = self.path
        from lanshou.files.export import safe_cell

        self._writer.writerow(
            [error.file, error.line, error.column, error.reason, *[safe_cell(c) for c in error.raw]]
        )
        self.report.rejected_count += 1
        if len(self.report.rejected) < KEEP_IN_MEMORY:
            self.report.rejected.append(error)

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
