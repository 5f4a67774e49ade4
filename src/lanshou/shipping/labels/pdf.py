"""Shipping labels to one PDF per batch, pages in the order given (the pick order)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import BinaryIO

from reportlab.pdfgen.canvas import Canvas

from lanshou.shipping.labels.draw import Pen, draw_label
from lanshou.shipping.labels.fonts import cjk_font
from lanshou.shipping.labels.layout import LabelLayout, label_layout
from lanshou.shipping.labels.model import Label, LabelError, LabelSize
from lanshou.shipping.labels.pdfjoin import PdfJoiner

# Labels per reportlab document before it is appended to the output (see pdfjoin): bounds memory to one
# part; larger parts repeat the font subset less often (a smaller file) but hold more pages in memory.
PART_LABELS = 500


def write_labels(
    labels: Iterable[Label],
    out: BinaryIO | Path,
    size: str | LabelSize = "100x180",
    mask_receiver: bool = True,
    font: Path | None = None,
    part_labels: int = PART_LABELS,
) -> int:
    """Write one page per label to out (a binary stream or a file path); returns the pages written.

    mask_receiver prints the receiver as 隐私面单 (王*, 138****5678); a shop may turn it off. font is a
    TrueType CJK font (default: $LANSHOU_CJK_FONT, else Debian fonts-wqy-zenhei). A path is written to a
    temporary file beside it and renamed when complete, so a failed batch leaves no half-written PDF.
    """
    label_size = LabelSize.parse(size)
    font_name = cjk_font(font)
    layout = label_layout(label_size)
    if part_labels < 1:
        raise LabelError(f"分段大小无效 invalid part size {part_labels}: must be ≥ 1")
    with output_stream(out) as stream:
        return _write_stream(labels, stream, layout, font_name, mask_receiver, part_labels)


@contextmanager
def output_stream(out: BinaryIO | Path) -> Iterator[BinaryIO]:
    """out itself, or for a path a temporary file beside it that replaces the path only on success."""
    if not isinstance(out, Path):
        yield out
        return
    partial = out.with_name(out.name + ".part")
    try:
        with partial.open("wb") as stream:
            yield stream
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _write_stream(
    labels: Iterable[Label], out: BinaryIO, layout: LabelLayout, font: str, mask: bool, part_labels: int
) -> int:
    joiner = PdfJoiner(out)
    for part in _parts(labels, part_labels):
        joiner.add(render_part(part, layout, font, mask))
    if not joiner.pages:
        raise LabelError("没有面单 no labels to print: the batch is empty")
    joiner.close()
    return joiner.pages


def _parts(labels: Iterable[Label], size: int) -> Iterator[list[Label]]:
    it = iter(labels)
    while part := list(islice(it, size)):
        yield part


def render_part(labels: list[Label], layout: LabelLayout, font: str, mask: bool) -> bytes:
    """One reportlab document holding these labels, one per page."""
    buffer = io.BytesIO()
    size = layout.size
    canvas = Canvas(buffer, pagesize=(size.width_pt, size.height_pt), pageCompression=1, invariant=1)
    pen = Pen(canvas, font)
    for label in labels:
        if not isinstance(label, Label):
            raise LabelError(f"不是面单 not a Label: {type(label).__name__}")
        draw_label(canvas, pen, label, layout, mask)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
