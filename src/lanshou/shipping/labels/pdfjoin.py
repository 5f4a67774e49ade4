"""Join PDFs written by reportlab into one file, one part at a time, so memory stays flat.

reportlab keeps every page of a document in memory and serialises them all at save(): 5,000 labels in one
canvas grow the process by about 13 KB a page. write_labels therefore renders a few hundred labels per
reportlab document and appends each finished part here: its objects are renumbered and written out at once,
its page tree becomes a child of the one root page tree, its catalog and info are dropped. Memory is one
part plus eight bytes per object (its offset). Each part embeds its own subset of the CJK font; the subset
tags are made unique per part so no viewer or printer mistakes one part's subset for another's.

Only what reportlab writes is read: a classic cross-reference table, no object streams, no encryption.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from typing import BinaryIO

from lanshou.shipping.labels.model import LabelError

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_OBJ = re.compile(rb"^\s*(\d+) 0 obj\b")
_REF = re.compile(rb"\b(\d+) 0 R\b")
_STREAM = re.compile(rb">>\s*stream\r?\n")
_SUBSET_TAG = re.compile(rb"/([A-Z]{6})\+")
_CATALOG_ID, _ROOT_PAGES_ID = 1, 2


class PdfJoinError(LabelError):
    """A part is not a PDF this joiner can append."""


class PdfJoiner:
    """Append PDFs (as bytes) to out; close() writes the page tree, catalog, xref and trailer."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._position = 0
        self._offsets = array("Q", [0, 0, 0])  # by object number; 1 and 2 are written last
        self._kids: list[int] = []
        self.pages = 0

    def _write(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)

    def add(self, pdf: bytes) -> int:
        """Append every page of pdf; returns how many pages it had."""
        spans, root, info = _objects(pdf)
        pages_id = _ref_in(spans[root], b"/Pages")
        count = int(_match(rb"/Count (\d+)", spans[pages_id], "page count"))
        first = len(self._offsets)
        numbers = {old: first + i for i, old in enumerate(n for n in spans if n not in (root, info))}
        if not self._position:
            self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        tag_salt = str(len(self._kids)).encode()
        for old, new in numbers.items():  # new numbers ascend in writing order
            self._offsets.append(self._position)
            self._write(_renumbered(spans[old], numbers, new, old == pages_id, tag_salt))
        self._kids.append(numbers[pages_id])
        self.pages += count
        return count

    def close(self) -> None:
        """Finish the file. An empty join is an error: a PDF without pages is no use to a printer."""
        if not self._kids:
            raise PdfJoinError("没有页面 nothing to write: no pages were added")
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self._offsets[_ROOT_PAGES_ID] = self._position
        self._write(
            b"%d 0 obj\n<< /Type /Pages /Kids [ %s ] /Count %d >>\nendobj\n"
            % (_ROOT_PAGES_ID, kids, self.pages)
        )
        self._offsets[_CATALOG_ID] = self._position
        self._write(b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R >>\nendobj\n" % (_CATALOG_ID, _ROOT_PAGES_ID))
        xref_at = self._position
        size = len(self._offsets)
        entries = b"".join(b"%010d 00000 n \n" % self._offsets[n] for n in range(1, size))
        self._write(b"xref\n0 %d\n0000000000 65535 f \n%s" % (size, entries))
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, _CATALOG_ID, xref_at)
        )


def _match(pattern: bytes, data: bytes, what: str) -> bytes:
    found = re.search(pattern, data)
    if found is None:
        raise PdfJoinError(f"PDF 无法拼接 cannot join PDF part: no {what} found")
    return found.group(1)


def _ref_in(obj: bytes, key: bytes) -> int:
    return int(_match(re.escape(key) + rb"\s+(\d+) 0 R", _head(obj)[0], key.decode()))


def _objects(pdf: bytes) -> tuple[dict[int, bytes], int, int]:
    """Each in-use object's bytes ('N 0 obj' … 'endobj'), the catalog's and the info's numbers."""
    if not pdf.startswith(b"%PDF-"):
        raise PdfJoinError("PDF 无法拼接 cannot join: not a PDF")
    start = _STARTXREF.search(pdf[-64:])
    if start is None or not pdf.startswith(b"xref", int(start.group(1))):
        raise PdfJoinError("PDF 无法拼接 cannot join: no classic cross-reference table")
    xref_at = int(start.group(1))
    trailer_at = pdf.index(b"trailer", xref_at)
    entries = _XREF_ENTRY.findall(pdf, xref_at, trailer_at)
    offsets = sorted((int(off), n) for n, (off, _gen, kind) in enumerate(entries) if kind == b"n")
    ends = [off for off, _ in offsets[1:]] + [xref_at]
    spans = {}
    for (offset, number), end in zip(offsets, ends, strict=True):
        span = pdf[offset : pdf.rindex(b"endobj", offset, end) + len(b"endobj")]
        found = _OBJ.match(span)
        if found is None or int(found.group(1)) != number:
            raise PdfJoinError(f"PDF 无法拼接 cannot join: object {number} is not at its xref offset")
        spans[number] = span
    trailer = pdf[trailer_at:]
    root = int(_match(rb"/Root (\d+) 0 R", trailer, "/Root"))
    info_ref = re.search(rb"/Info (\d+) 0 R", trailer)
    return spans, root, int(info_ref.group(1)) if info_ref else -1


def _head(obj: bytes) -> tuple[bytes, bytes]:
    """The dictionary text and the rest (stream data, endobj); only the head holds references."""
    found = _STREAM.search(obj)
    return (obj, b"") if found is None else (obj[: found.end()], obj[found.end() :])


def _renumbered(obj: bytes, numbers: dict[int, int], new: int, is_part_pages: bool, salt: bytes) -> bytes:
    head, rest = _head(obj)

    def ref(found: re.Match[bytes]) -> bytes:
        old = int(found.group(1))
        if old not in numbers:
            raise PdfJoinError(f"PDF 无法拼接 cannot join: object refers to the dropped object {old}")
        return b"%d 0 R" % numbers[old]

    head = _OBJ.sub(b"%d 0 obj" % new, head, count=1)
    head = _REF.sub(ref, head)
    head = _SUBSET_TAG.sub(lambda m: b"/" + _unique_tag(m.group(1), salt) + b"+", head)
    if is_part_pages:
        head = head.replace(b"<<", b"<< /Parent %d 0 R" % _ROOT_PAGES_ID, 1)
    return head + rest + b"\n"


def _unique_tag(tag: bytes, salt: bytes) -> bytes:
    """Six capital letters derived from the part number and reportlab's tag (AAAAAA, AAAAAB… per part)."""
    digest = hashlib.blake2s(salt + b":" + tag, digest_size=6).digest()
    return bytes(65 + b % 26 for b in digest)
