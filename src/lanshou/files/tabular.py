"""Stream rows out of CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX files.

Rows come out as (line number, list of cell texts) so memory stays flat on million-line files.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from lanshou.files.export import FORMULA_STARTS

SNIFF_BYTES = 1 << 20
CHECK_BYTES = 1 << 22  # the whole file is decoded in chunks of this size before a row is read

# a cell of any size is read (then a reader rejects its row if its column cannot hold it); the default
# limit of 128 KiB made one long cell end the whole import with _csv.Error
csv.field_size_limit(min(sys.maxsize, 2**62))


class FileRefused(ValueError):
    """The whole file cannot be read (unknown type, undecodable, missing required column)."""


@dataclass
class Table:
    path: Path
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # line numbers are 1-based and count the header as line 1
    encoding: str
    sheet: str = ""  # the worksheet read, for a workbook
    # rows left out of `rows` because bytes in them are not text in the file's encoding: (line, cells with
    # the bad bytes shown as \xNN); whoever reads `rows` takes them from here and rejects them
    undecodable: list[tuple[int, list[str]]] = field(default_factory=list)

    def take_undecodable(self) -> list[tuple[int, list[str]]]:
        taken, self.undecodable = self.undecodable, []
        return taken

    @property
    def name(self) -> str:
        """The file (and sheet) as messages name it."""
        return f"{self.path.name} [sheet {self.sheet}]" if self.sheet else self.path.name

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


def open_table(
    path: str | Path, sheet: str | None = None, fits: Callable[[Table], bool] | None = None
) -> Table:
    """A CSV or XLSX file's rows. In a workbook: the sheet named `sheet`, else the first whose header
    `fits` (the reader's required columns), else the first sheet."""
    path = Path(path)
    if not path.exists():
        raise FileRefused(f"{path}: no such file / 文件不存在")
    if path.is_dir():
        raise FileRefused(f"{path}: is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return _open_xlsx(path, sheet, fits)
    if sheet is not None:
        raise FileRefused(f"{path}: --sheet is for XLSX workbooks")
    if suffix in {".csv", ".txt", ".tsv", ""}:
        return _open_csv(path)
    raise FileRefused(f"{path}: unsupported file type {suffix!r} (expected .csv or .xlsx)")


def _decodes(path: Path, encoding: str) -> bool:
    """Whether the whole file is text in this encoding (read in chunks: memory stays flat)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as raw:
        try:
            for chunk in iter(lambda: raw.read(CHECK_BYTES), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _undecodable(path: Path, encoding: str) -> int:
    """How many runs of bytes of the file are not text in this encoding."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    found = 0
    with path.open("rb") as raw:
        for chunk in iter(lambda: raw.read(CHECK_BYTES), b""):
            found += decoder.decode(chunk).count("\ufffd")
        found += decoder.decode(b"", final=True).count("\ufffd")
    return found


def file_encoding(path: Path) -> tuple[str, bool]:
    """(encoding, whether every byte decodes in it), decided on the whole file before any row is read:
    a GB18030 file whose first Chinese character comes after the first megabyte is still GB18030. When
    neither UTF-8 nor GB18030 reads every byte, the one that reads more of the file is used and the rows
    with bytes it cannot read are rejected, each naming its line."""
    with path.open("rb") as raw:
        head = raw.read(len(codecs.BOM_UTF8))
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _decodes(path, "utf-8-sig")
    if _decodes(path, "utf-8"):  # a valid UTF-8 file (the common case) is read once here
        return "utf-8", True
    if _decodes(path, "gb18030"):
        return "gb18030", True
    utf8, gb = _undecodable(path, "utf-8"), _undecodable(path, "gb18030")
    return ("utf-8", False) if utf8 <= gb else ("gb18030", False)


def _open_csv(path: Path) -> Table:
    encoding, clean = file_encoding(path)
    errors = "strict" if clean else "backslashreplace"
    stream: IO[str] = path.open("r", encoding=encoding, errors=errors, newline="")
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        stream.close()
        raise FileRefused(f"{path}: the file is empty") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        stream.close()
        raise FileRefused(f"{path}: cannot read the header as {encoding}: {exc}") from None
    table = Table(path, [clean_header(h) for h in header], iter(()), encoding)
    if not clean and any(_bad_bytes(h) for h in header):
        stream.close()
        raise FileRefused(f"{path}: the header line is not text in {encoding}")
    table.rows = _csv_rows(table, reader, stream, clean, _mentions(path, b"'"))
    return table


def _unguarded(cell: str) -> str:
    """A cell a spreadsheet-safe export guarded ("'=…", lanshou.files.export.safe_cell) reads as it was
    ("=…"): a rejects file, fixed, imports exactly what the input said."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def _bad_bytes(text: str) -> bool:
    return "\\x" in text  # what backslashreplace writes for a byte it cannot decode


def _mentions(path: Path, byte: bytes) -> bool:
    """Whether the file holds this ASCII byte anywhere (in UTF-8 and GB18030 it is never part of another
    character): one fast pass that spares the rows of most files a look at every cell."""
    with path.open("rb") as raw:
        return any(byte in chunk for chunk in iter(lambda: raw.read(CHECK_BYTES), b""))


def _csv_rows(
    table: Table, reader: Iterator[list[str]], stream: IO[str], clean: bool, quoted: bool
) -> Iterator[tuple[int, list[str]]]:
    try:
        for row in reader:
            if row and any(row):
                # csv.reader counts physical lines, so quoted multi-line cells keep the real line number
                line = reader.line_num  # type: ignore[attr-defined]
                if not clean and any(_bad_bytes(c) for c in row):
                    table.undecodable.append((line, row))
                    continue
                if quoted and any(c.startswith("'") for c in row):
                    row = [_unguarded(c) for c in row]
                yield line, row
    except csv.Error as exc:  # e.g. a NUL byte in an older Python, a broken quote at the end
        raise FileRefused(f"{table.path}: line {reader.line_num}: {exc}") from None  # type: ignore[attr-defined]
    finally:
        stream.close()


def _open_xlsx(path: Path, wanted: str | None, fits: Callable[[Table], bool] | None) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileRefused(f"{path}: not a readable XLSX workbook: {exc}") from None
    names = workbook.sheetnames
    if wanted is not None and wanted not in names:
        workbook.close()
        raise FileRefused(f"{path}: no sheet named {wanted!r} (sheets: {', '.join(names)})")
    candidates = [wanted] if wanted is not None else names
    chosen: Table | None = None
    for name in candidates:
        table = _sheet_table(path, workbook, name)
        if table is None:
            continue
        if wanted is not None or fits is None or fits(table):
            chosen = table
            break
        chosen = chosen or table  # when no sheet fits, the first one is read (and refused, named)
    if chosen is None:
        workbook.close()
        raise FileRefused(f"{path}: the workbook is empty")
    return chosen


def _sheet_table(path: Path, workbook: Any, name: str) -> Table | None:
    values = workbook[name].iter_rows(values_only=True)
    try:
        header = [clean_header(h) for h in next(values)]
    except StopIteration:
        return None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for line, row in enumerate(values, start=2):
                cells = [cell_text(v) for v in row]
                if any(cells):
                    yield line, cells
        finally:
            workbook.close()

    return Table(path, header, rows(), "xlsx", sheet=name)


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
