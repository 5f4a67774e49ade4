"""Where each block of a label sits, per label size (pure; points, origin bottom-left as in PDF).

Bands are given in millimetres from the top of the label, which is how label templates are drawn. The
100×180 stock is two-part (二联单): the main label above the cut at 110 mm, the receiver's stub (存根) below.
"""

from __future__ import annotations

from dataclasses import dataclass

from lanshou.shipping.labels.model import LABEL_76X130, LABEL_100X180, MM_TO_PT, LabelSize


@dataclass(frozen=True, slots=True)
class Box:
    x: float
    y: float  # bottom edge
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width

    def inset(self, dx: float, dy: float | None = None) -> Box:
        dy = dx if dy is None else dy
        return Box(self.x + dx, self.y + dy, self.width - 2 * dx, self.height - 2 * dy)

    def left_part(self, width: float) -> Box:
        return Box(self.x, self.y, width, self.height)

    def right_of(self, width: float) -> Box:
        """What is left of the box after taking width off its left side."""
        return Box(self.x + width, self.y, self.width - width, self.height)

    def top_part(self, height: float) -> Box:
        return Box(self.x, self.top - height, self.width, height)

    def below(self, height: float) -> Box:
        """What is left of the box after taking height off its top."""
        return Box(self.x, self.y, self.width, self.height - height)

    def contains(self, left: float, bottom: float, right: float, top: float, tolerance: float = 0.0) -> bool:
        t = tolerance
        return left >= self.x - t and right <= self.right + t and bottom >= self.y - t and top <= self.top + t


@dataclass(frozen=True, slots=True)
class LabelLayout:
    size: LabelSize
    margin: float
    blocks: dict[str, Box]
    cut_at: float | None  # y of the dashed cut line between label and stub, if the stock has one


# (block name, top mm, bottom mm) per size; the blocks tile the label without overlapping.
_BANDS: dict[str, tuple[tuple[str, float, float], ...]] = {
    LABEL_100X180.name: (
        ("header", 2, 10),
        ("sort", 10, 28),  # 三段码 big
        ("center", 28, 36),  # 集包地 + 大头笔
        ("barcode", 36, 58),
        ("receiver", 58, 84),
        ("sender", 84, 98),
        ("orders", 98, 109),
        ("stub_barcode", 111, 129),
        ("items", 129, 166),
        ("footer", 166, 178),
    ),
    LABEL_76X130.name: (
        ("header", 1.5, 8),
        ("sort", 8, 20),
        ("center", 20, 26),
        ("barcode", 26, 45),
        ("receiver", 45, 69),
        ("sender", 69, 81),
        ("items", 81, 115),
        ("orders", 115, 128.5),
    ),
}
_CUT_MM = {LABEL_100X180.name: 110.0}
MARGIN_MM = 2.5


def label_layout(size: LabelSize) -> LabelLayout:
    """The blocks of a label of this size, each spanning the width between the side margins."""
    margin = MARGIN_MM * MM_TO_PT
    height = size.height_pt
    width = size.width_pt - 2 * margin
    blocks = {
        name: Box(margin, height - bottom * MM_TO_PT, width, (bottom - top) * MM_TO_PT)
        for name, top, bottom in _BANDS[size.name]
    }
    cut = _CUT_MM.get(size.name)
    return LabelLayout(size, margin, blocks, None if cut is None else height - cut * MM_TO_PT)
