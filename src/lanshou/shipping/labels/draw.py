"""Draw one label on a reportlab canvas page: every text is fitted into its block, nothing leaves it."""

from __future__ import annotations

from typing import Literal

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from lanshou.shipping.labels.layout import Box, LabelLayout
from lanshou.shipping.labels.model import MM_TO_PT, Label, item_summary, printed_receiver
from lanshou.shipping.labels.textfit import FittedText, fit, fit_line

DOT = MM_TO_PT / 8  # one dot of a "203 dpi" thermal printer: 8 dots/mm (203.2 dpi), so 76 mm = 608 dots
PAD = 1.0 * MM_TO_PT  # text keeps this far from its block's edges
QUIET_MODULES = 10  # Code128 quiet zone on each side
BAR_REDUCTION = DOT / 4
Align = Literal["left", "center", "right"]


class Pen:
    """Fitted text on one canvas in the CJK font."""

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas = canvas
        self.font = font
        ascent, descent = pdfmetrics.getAscentDescent(font, 1000)
        self.ascent = ascent / 1000
        self.em = (ascent - descent) / 1000
        self._widths: dict[str, float] = {}

    def width(self, text: str) -> float:
        """Width at size 1; memoised because labels repeat the same tokens (digits, 省, 市, 区…)."""
        w = self._widths.get(text)
        if w is None:
            if len(self._widths) > 20_000:
                self._widths.clear()
            w = self._widths[text] = pdfmetrics.stringWidth(text, self.font, 1)
        return w

    def block(
        self,
        text: str,
        box: Box,
        max_size: float,
        min_size: float,
        align: Align = "left",
        bold: bool = False,
        max_lines: int | None = None,
    ) -> FittedText:
        """Wrap and shrink text into box, top-aligned; returns what was drawn."""
        fitted = fit(text, self.width, box.width, box.height, max_size, min_size, max_lines, self.em)
        self.draw(fitted, box, align, bold)
        return fitted

    def line(
        self,
        text: str,
        box: Box,
        max_size: float,
        min_size: float = 5,
        align: Align = "left",
        bold: bool = False,
    ) -> FittedText:
        """One line, shrunk to the box width and no taller than the box, centred vertically."""
        fitted = fit_line(text, self.width, box.width, min(max_size, box.height / self.em), min_size)
        used = fitted.size * self.em
        self.draw(fitted, Box(box.x, box.y, box.width, (box.height + used) / 2), align, bold)
        return fitted

    def draw(self, fitted: FittedText, box: Box, align: Align, bold: bool) -> None:
        c = self.canvas
        size = fitted.size
        baseline = box.top - self.ascent * size
        if bold:  # the font has no bold face: fill and stroke the outline
            c.setLineWidth(size * 0.035)
        for text in fitted.lines:
            t = c.beginText()
            t.setFont(self.font, size)
            if bold:
                t.setTextRenderMode(2)
            t.setTextOrigin(_aligned_x(box, self.width(text) * size, align), baseline)
            t.textOut(text)
            c.drawText(t)
            baseline -= fitted.leading


def _aligned_x(box: Box, width: float, align: Align) -> float:
    if align == "center":
        return box.x + (box.width - width) / 2
    if align == "right":
        return box.right - width
    return box.x


class _DotCode128(Code128):
    """Code128 with bar width reduction: each bar a quarter dot narrower, centred on its dots.

    Renderers and printer drivers round a bar edge that sits on a dot boundary outwards, so a bar grows by
    a dot and the one-dot space beside it disappears (seen with pdfium at 203 dpi). Pulling the edges in a
    little keeps every bar on exactly its own dots; thermal printers' dot gain calls for the same.
    """

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        super().rect(x + BAR_REDUCTION / 2, y, w - BAR_REDUCTION, h)


def draw_barcode(canvas: Canvas, value: str, box: Box) -> float:
    """Code128 centred in box, modules a whole number of printer dots wide; returns the module width."""
    for dots in (3, 2, 1):
        module = dots * DOT
        code = _DotCode128(value, barWidth=module, barHeight=box.height, quiet=False, humanReadable=False)
        if code.width + 2 * QUIET_MODULES * module <= box.width or dots == 1:
            break
    # snap to the printer's dot grid so every bar is exactly `dots` dots wide when printed or rasterised
    x = round((box.x + (box.width - code.width) / 2) / DOT) * DOT
    code.drawOn(canvas, x, box.y)
    return module


def draw_label(canvas: Canvas, pen: Pen, label: Label, layout: LabelLayout, mask_receiver: bool) -> None:
    b = layout.blocks
    _rules(canvas, layout)
    _header(pen, label, b["header"].inset(PAD, 0))
    _sort(pen, label, b["sort"].inset(PAD, PAD / 2), b["center"].inset(PAD, 0))
    _waybill(canvas, pen, label.waybill_no, b["barcode"].inset(PAD, PAD / 2))
    receiver = printed_receiver(label.receiver, mask_receiver)
    _party(pen, "收", receiver.name, receiver.phone, receiver.address, b["receiver"].inset(PAD, PAD / 2), 13)
    sender = label.sender
    _party(pen, "寄", sender.name, sender.phone, sender.address, b["sender"].inset(PAD, PAD / 2), 8.5)
    _items(pen, label, b["items"].inset(PAD, PAD / 2))
    if "stub_barcode" in b:  # two-part stock: the receiver's stub repeats the waybill number
        _waybill(canvas, pen, label.waybill_no, b["stub_barcode"].inset(PAD * 4, PAD / 2))
        _orders(pen, label, b["orders"].inset(PAD, PAD / 2), with_shop=False)
        pen.block(_shop_line(label), b["footer"].inset(PAD, PAD / 2), 8, 5)
    else:
        _orders(pen, label, b["orders"].inset(PAD, PAD / 2), with_shop=True)


def _rules(canvas: Canvas, layout: LabelLayout) -> None:
    """Thin rules between blocks and a dashed cut line on two-part stock."""
    canvas.setLineWidth(0.6)
    left, right = layout.margin, layout.size.width_pt - layout.margin
    for name, box in layout.blocks.items():
        if name not in ("header", "stub_barcode"):
            canvas.line(left, box.top, right, box.top)
    if layout.cut_at is not None:
        canvas.setDash(3, 2)
        canvas.line(0, layout.cut_at, layout.size.width_pt, layout.cut_at)
        canvas.setDash()


def _header(pen: Pen, label: Label, box: Box) -> None:
    package = f"{label.package_index}/{label.package_count}" if label.multi_package else ""
    right = box.width * 0.3 if package else 0
    pen.line(label.carrier_name or label.carrier_code, box.left_part(box.width - right), 14, bold=True)
    if package:
        pen.line(package, box.right_of(box.width - right), 16, align="right", bold=True)


def _sort(pen: Pen, label: Label, sort_box: Box, center_box: Box) -> None:
    """三段码 big; 大头笔 takes its place when the provider gave no sorting code; 集包地 below."""
    big = label.sorting_code or label.short_address
    if big:
        pen.line(big, sort_box, 44, 8, align="center", bold=True)
    below = []
    if label.package_center:
        below.append(f"集包地 {label.package_center}")
    if label.sorting_code and label.short_address:
        below.append(f"大头笔 {label.short_address}")
    if below:
        pen.line("   ".join(below), center_box, 12, align="center", bold=True)


def _waybill(canvas: Canvas, pen: Pen, waybill_no: str, box: Box) -> None:
    text_height = min(4.5 * MM_TO_PT, box.height * 0.3)
    bars = Box(box.x, box.y + text_height, box.width, box.height - text_height)
    draw_barcode(canvas, waybill_no, bars)
    pen.line(waybill_no, Box(box.x, box.y, box.width, text_height), 11, align="center")


def _party(pen: Pen, mark: str, name: str, phone: str, address: str, box: Box, size: float) -> None:
    """A 收/寄 marker on the left, name and phone on the first line, the address wrapped below."""
    marker = min(box.height, size * 1.6)
    pen.line(mark, box.left_part(marker).top_part(marker), size * 1.4, bold=True)
    content = box.right_of(marker + PAD)
    first = pen.line(f"{name}  {phone}".strip(), content.top_part(size * pen.em), size, bold=True)
    gap = first.size * 0.35
    rest = content.below(first.size * pen.em + gap)
    if rest.height > 0:
        pen.block(address, rest, size * 0.9, min(5.0, size * 0.6))


def _items(pen: Pen, label: Label, box: Box) -> None:
    """Item lines, as many as fit at a readable size; the rest summed up as 等N件."""
    shown = len(label.items)
    lines = _item_lines(label, shown)
    while shown > 1 and fit("\n".join(lines), pen.width, box.width, box.height, 9, 6, None, pen.em).truncated:
        shown -= 1
        lines = _item_lines(label, shown)
    pen.block("\n".join(lines), box, 9, 6)


def _item_lines(label: Label, shown: int) -> list[str]:
    total = sum(item.quantity for item in label.items)
    listed, more = item_summary(label.items, shown)
    lines = [f"商品 items（共{total}件 total {total}）", *listed]
    if more:
        lines.append(f"…等{more}件 +{more} more")
    if label.remark:
        lines.append(f"备注 remark: {label.remark}")
    return lines


def _orders(pen: Pen, label: Label, box: Box, with_shop: bool) -> None:
    parts = [f"订单 order: {', '.join(label.order_ids)}"] if label.order_ids else []
    if label.parent_waybill_no:
        parts.append(f"母单 parent: {label.parent_waybill_no}")
    if with_shop:
        parts.append(_shop_line(label))
    pen.block("\n".join(parts), box, 9, 5)


def _shop_line(label: Label) -> str:
    printed = f"  打印 printed {label.printed_at:%Y-%m-%d %H:%M}" if label.printed_at else ""
    return f"店铺 shop: {label.shop}{printed}"
