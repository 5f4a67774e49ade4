"""Stream rows out of CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX files.

Rows come out as (line number, list of cell texts) so memory stays flat on million-line files.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

SNIFF_BYTES = 1 << 20


class FileRefused(ValueError):
    """The whole file cannot be read (unknown type, undecodable, missing required column)."""


@dataclass
class Table:
    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # line numbers are 1-based and count the header as line 1
    encoding: str

    def column_index(self) -> dict[str, int]:
        index: dict[str, int] = {}
        for i, name in enumerate(self.header):
            index.setdefault(name, i)
        return index


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def clean_header(name: object) -> str:
    text = "" if name is None else str(name)
    return text.replace("\ufeff", "").strip()


def open_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.exists():
        raise FileRefused(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(path)
    if suffix in {".csv", ".txt", ".tsv", ""}:
        return _open_csv(path)
    raise FileRefused(f"{path}: unsupported file type {suffix!r} (expected .csv or .xlsx)")


def _open_csv(path: Path) -> Table:
    with path.open("rb") as raw:
        head = raw.read(SNIFF_BYTES)
    encoding = detect_encoding(head)
    stream: IO[str] = path.open("r", encoding=encoding, newline="")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        stream.close()
        raise FileRefused(f"{path}: the file is empty") from None
    except UnicodeDecodeError as exc:
        stream.close()
        raise FileRefused(f"{path}: cannot decode as {encoding}: {exc}") from None
    return Table(path, [clean_header(h) for h in header], _csv_rows(path, reader, stream), encoding)


def _csv_rows(path: Path, reader: Iterator[list[str]], stream: IO[str]) -> Iterator[tuple[int, list[str]]]:
    try:
        for row in reader:
            if row and any(row):
                # csv.reader counts physical lines, so quoted multi-line cells keep the real line number
                yield reader.line_num, row  # type: ignore[attr-defined]
    except UnicodeDecodeError as exc:
        raise FileRefused(f"{path}: cannot decode the file past line {reader.line_num}: {exc}") from None  # type: ignore[attr-defined]
    finally:
        stream.close()


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(f"{path}: not a readable XLSX workbook: {exc}") from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    try:
        header = [clean_header(h) for h in next(values)]
    except StopIteration:
        workbook.close()
        raise FileRefused(f"{path}: the workbook is empty") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for line, row in enumerate(values, start=2):
                cells = [cell_text(v) for v in row]
                if any(cells):
                    yield line, cells
        finally:
            workbook.close()

    return Table(path, header, rows(), "xlsx")


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
