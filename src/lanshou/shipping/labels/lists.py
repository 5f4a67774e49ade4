"""Packing lists (装箱单) and pick lists (拣货单) as A4 PDF, in the labels' CJK font (reportlab platypus)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from lanshou.shipping.labels.fonts import cjk_font
from lanshou.shipping.labels.model import (
    Label,
    LabelError,
    PickLine,
    PickRow,
    aggregate_pick_list,
    printed_receiver,
)
from lanshou.shipping.labels.pdf import output_stream

_GRID = colors.Color(0.55, 0.55, 0.55)
_SHADE = colors.Color(0.9, 0.9, 0.9)


class _Styles:
    def __init__(self, font: str) -> None:
        self.font = font
        self.title = ParagraphStyle("title", fontName=font, fontSize=15, leading=19, wordWrap="CJK")
        self.text = ParagraphStyle("text", fontName=font, fontSize=9.5, leading=12.5, wordWrap="CJK")
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=11.5, wordWrap="CJK")

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text), style or self.cell)


def _table(rows: list[list[Any]], widths: list[float], font: str, extra: list[tuple[Any, ...]]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 9),
                ("GRID", (0, 0), (-1, -1), 0.5, _GRID),
                ("BACKGROUND", (0, 0), (-1, 0), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                *extra,
            ]
        )
    )
    return table


def _build(out: BinaryIO | Path, story: list[Flowable], title: str, font: str) -> int:
    """Lay the story out on A4 with a page number footer; returns the page count."""

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{title}  第 {doc.page} 页 page {doc.page}")

    with output_stream(out) as stream:
        doc = SimpleDocTemplate(
            stream,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=18 * mm,
        )
        doc.title = title
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
        return int(doc.page)


def write_packing_list(
    labels: Iterable[Label], out: BinaryIO | Path, mask_receiver: bool = True, font: Path | None = None
) -> int:
    """One block per parcel (its label): order ids, waybill, receiver, items with quantities, remark.

    Blocks are kept whole on a page. The receiver is masked (王*, 138****5678) unless mask_receiver=False.
    Returns the pages written.
    """
    styles = _Styles(cjk_font(font))
    story: list[Flowable] = []
    for label in labels:
        story.append(KeepTogether(_packing_block(label, styles, mask_receiver)))
        story.append(Spacer(1, 8 * mm))
    if not story:
        raise LabelError("没有订单 nothing to pack: the batch is empty")
    return _build(out, story, "装箱单 packing list", styles.font)


def _packing_block(label: Label, s: _Styles, mask: bool) -> list[Flowable]:
    receiver = printed_receiver(label.receiver, mask)
    package = f"  包裹 package {label.package_index}/{label.package_count}" if label.multi_package else ""
    lines = [
        s.p(f"装箱单 packing list — 订单 order {', '.join(label.order_ids) or '—'}", s.title),
        s.p(
            f"店铺 shop: {label.shop}    运单 waybill: {label.carrier_name} {label.waybill_no}{package}",
            s.text,
        ),
        s.p(f"收件人 receiver: {receiver.name} {receiver.phone}  {receiver.address}", s.text),
        Spacer(1, 2 * mm),
    ]
    rows: list[list[Any]] = [["#", "SKU", "商品 item", "数量 qty"]]
    for n, item in enumerate(label.items, 1):
        rows.append([str(n), s.p(item.sku), s.p(item.title), str(item.quantity)])
    total = sum(item.quantity for item in label.items)
    rows.append(["", "", "合计 total", str(total)])
    width = A4[0] - 30 * mm
    bold_total = [("BACKGROUND", (0, -1), (-1, -1), _SHADE)]
    lines.append(_table(rows, [10 * mm, 40 * mm, width - 75 * mm, 25 * mm], s.font, bold_total))
    if label.remark:
        lines += [Spacer(1, 2 * mm), s.p(f"备注 remark: {label.remark}", s.text)]
    return lines


def write_pick_list(
    lines: Iterable[PickLine], out: BinaryIO | Path, batch: str = "", font: Path | None = None
) -> int:
    """The batch's lines summed per warehouse location and SKU, in walking order, with a subtotal per
    location and a grand total; an empty 已拣 column to tick. Returns the pages written."""
    rows = aggregate_pick_list(lines)
    if not rows:
        raise LabelError("没有拣货行 nothing to pick: the batch is empty")
    styles = _Styles(cjk_font(font))
    total = sum(r.quantity for r in rows)
    title = f"拣货单 pick list {batch}".strip()
    story: list[Flowable] = [
        styles.p(title, styles.title),
        styles.p(f"{len(rows)} 行 rows, 共 {total} 件 total quantity {total}", styles.text),
        Spacer(1, 4 * mm),
        _pick_table(rows, styles, total),
    ]
    return _build(out, story, title, styles.font)


def _pick_table(rows: list[PickRow], s: _Styles, total: int) -> Table:
    data: list[list[Any]] = [["库位 location", "SKU", "商品 item", "订单 orders", "已拣 picked", "数量 qty"]]
    shaded: list[tuple[Any, ...]] = []
    for location, group in groupby(rows, key=lambda r: r.location):
        subtotal = 0
        for row in group:
            data.append(
                [s.p(location), s.p(row.sku), s.p(row.title), str(len(row.order_ids)), "", str(row.quantity)]
            )
            subtotal += row.quantity
        data.append(["", "", s.p(f"{location} 小计 subtotal"), "", "", str(subtotal)])
        shaded.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), _SHADE))
    data.append(["", "", s.p("合计 total"), "", "", str(total)])
    shaded.append(("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), _SHADE))
    width = A4[0] - 30 * mm
    widths = [30 * mm, 35 * mm, width - 125 * mm, 20 * mm, 18 * mm, 22 * mm]
    return _table(data, widths, s.font, shaded)
