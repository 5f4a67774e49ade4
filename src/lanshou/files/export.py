"""Exports that are safe to open in a spreadsheet: no cell can start a formula."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """Prefix a quote to any text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# ---------------------------------------------------------------------------------------------------------
# Streaming writers. Rows are written as they come; every text cell goes through safe_cell.

CSV_ENCODING = "utf-8-sig"  # the BOM makes Excel read Chinese text as UTF-8
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these in a cell


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(safe_cell(value)) if isinstance(value, str) else str(value)


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a CSV (UTF-8 with BOM) that Excel opens safely; returns the number of data rows."""
    counted = [0]
    with path.open("w", encoding="utf-8", newline="") as f:  # the BOM is the first chunk's
        f.writelines(csv_chunks(headers, rows, counted))
    return counted[0]


def csv_chunks(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], counted: list[int] | None = None, batch: int = 500
) -> Iterator[str]:
    """The text of write_csv's file, BOM first, in chunks of `batch` rows (a download streams them as they
    are read); `counted[0]` ends as the number of data rows."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    buffer.write("\ufeff")  # what CSV_ENCODING writes: Excel reads Chinese text as UTF-8
    out.writerow([_csv_text(h) for h in headers])
    written = 0
    for written, row in enumerate(rows, 1):
        out.writerow([_csv_text(v) for v in row])
        if written % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if counted is not None:
        counted[0] = written
    yield buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    """Text stays text (ids never become numbers); XML-illegal control characters are dropped."""
    if isinstance(value, str):
        return safe_cell(_XML_ILLEGAL.sub("", value))  # strip first: "\x01=1+1" must not become a formula
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def write_xlsx(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str = "orders"
) -> int:
    """Write an XLSX in openpyxl's write-only (streaming) mode; returns the number of data rows."""
    from openpyxl import Workbook  # imported here: the CLI starts faster without it

    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append([_xlsx_value(h) for h in headers])
    written = 0
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
        written += 1
    book.save(path)
    return written
