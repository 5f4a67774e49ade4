"""What a shipping label says: pure input model, label sizes and 隐私面单 masking (no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from lanshou.customers.masking import mask_phone

MM_TO_PT = 72 / 25.4


class LabelError(ValueError):
    """Bad label input or an unusable setting: the message says what and why, Chinese first."""


@dataclass(frozen=True, slots=True)
class Party:
    """A receiver or sender; address is one string: province city district detail."""

    name: str
    phone: str
    address: str


@dataclass(frozen=True, slots=True)
class LabelItem:
    title: str
    sku: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise LabelError(
                f"商品数量无效 invalid quantity {self.quantity} for SKU {self.sku!r}: must be ≥ 1"
            )


# Code128 encodes ASCII; waybill numbers are letters, digits and a few separators.
_WAYBILL = re.compile(r"[0-9A-Za-z\-_]{4,40}")


@dataclass(frozen=True, slots=True)
class Label:
    """One parcel's label. items and order_ids accept any sequence and are stored as tuples."""

    waybill_no: str
    carrier_code: str
    carrier_name: str
    receiver: Party
    sender: Party
    items: Sequence[LabelItem]  # what is in this parcel
    order_ids: Sequence[str]
    shop: str
    sorting_code: str = ""  # 三段码 (Douyin sort_code, Cainiao 分拣码)
    package_center: str = ""  # 集包地
    short_address: str = ""  # 大头笔
    parent_waybill_no: str = ""  # 子母件: the parent waybill this child ships under
    package_index: int = 1
    package_count: int = 1
    remark: str = ""
    printed_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "order_ids", tuple(self.order_ids))
        if not _WAYBILL.fullmatch(self.waybill_no):
            raise LabelError(
                f"运单号无效 invalid waybill number {self.waybill_no!r}: "
                "expected 4–40 letters, digits, '-' or '_' (Code128)"
            )
        if not 1 <= self.package_index <= self.package_count:
            raise LabelError(
                f"包裹序号无效 invalid package {self.package_index}/{self.package_count} "
                f"on waybill {self.waybill_no}: index must be 1..count"
            )
        if not self.receiver.address.strip():
            raise LabelError(f"收件地址为空 empty receiver address on waybill {self.waybill_no}")

    @property
    def multi_package(self) -> bool:
        return self.package_count > 1


@dataclass(frozen=True, slots=True)
class LabelSize:
    """A thermal label stock; the PDF page is exactly width × height millimetres."""

    name: str
    width_mm: float
    height_mm: float

    @property
    def width_pt(self) -> float:
        return self.width_mm * MM_TO_PT

    @property
    def height_pt(self) -> float:
        return self.height_mm * MM_TO_PT

    @classmethod
    def parse(cls, text: str | LabelSize) -> LabelSize:
        """'100x180', '100×180', '100*180 ', '76X130' → the size; anything else is a LabelError."""
        if isinstance(text, LabelSize):
            return text
        key = re.sub(r"\s+", "", str(text)).lower().replace("×", "x").replace("*", "x").removesuffix("mm")
        size = LABEL_SIZES.get(key)
        if size is None:
            known = ", ".join(LABEL_SIZES)
            raise LabelError(f"不支持的面单尺寸 unsupported label size {text!r}: use one of {known}")
        return size


LABEL_100X180 = LabelSize("100x180", 100, 180)  # two-part 二联单 stock
LABEL_76X130 = LabelSize("76x130", 76, 130)  # one-part 一联单 standard template
LABEL_SIZES: dict[str, LabelSize] = {s.name: s for s in (LABEL_100X180, LABEL_76X130)}

# A platform virtual number 主号-分机号 (e.g. 13800000000-1234) is already private and the courier must
# dial it whole, so it is printed as given.
_VIRTUAL_NUMBER = re.compile(r"1\d{10}[-—转]\d{1,6}")


def mask_label_phone(phone: str) -> str:
    """138****5678 on a 隐私面单; a virtual number 主号-分机号 stays readable."""
    text = phone.strip()
    if _VIRTUAL_NUMBER.fullmatch(text):
        return text
    return mask_phone(text)


def mask_label_name(name: str) -> str:
    """王* : the first character and one star, whatever the length (hides the length too)."""
    text = name.strip()
    if not text:
        return ""
    if text.startswith(("#", "$")):  # platform ciphertext (Douyin 密文) is never printed
        return "***"
    return text[0] + "*"


def printed_receiver(receiver: Party, mask: bool) -> Party:
    """The receiver as the label shows it: masked name and phone unless the shop turned 隐私面单 off."""
    if not mask:
        return receiver
    return replace(receiver, name=mask_label_name(receiver.name), phone=mask_label_phone(receiver.phone))


def item_summary(items: Iterable[LabelItem], max_items: int) -> tuple[list[str], int]:
    """Lines 'title ×qty' for the first max_items items and how many more items (等N件) were left off."""
    listed = list(items)
    shown = [f"{item.title} ×{item.quantity}" for item in listed[:max_items]]
    return shown, max(len(listed) - max_items, 0)


@dataclass(frozen=True, slots=True)
class PickLine:
    """One thing to pick: which SKU, how many, from where, for which order."""

    location: str
    sku: str
    title: str
    quantity: int
    order_id: str = ""


@dataclass(frozen=True, slots=True)
class PickRow:
    """A pick-list row: one SKU at one location, summed over the batch."""

    location: str
    sku: str
    title: str
    quantity: int
    order_ids: tuple[str, ...] = field(default=())


UNASSIGNED_LOCATION = "未分配库位 unassigned"


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """A-2-10 sorts after A-2-9: digit runs compare as numbers."""
    parts = re.split(r"(\d+)", text)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def aggregate_pick_list(lines: Iterable[PickLine]) -> list[PickRow]:
    """Sum quantities per (location, SKU), ordered by location then SKU (walking order of the shelves)."""
    totals: dict[tuple[str, str], tuple[str, int, list[str]]] = {}
    for line in lines:
        key = (line.location or UNASSIGNED_LOCATION, line.sku)
        title, quantity, orders = totals.get(key, (line.title, 0, []))
        if line.order_id and line.order_id not in orders:
            orders.append(line.order_id)
        totals[key] = (title, quantity + line.quantity, orders)
    rows = [PickRow(loc, sku, t, q, tuple(o)) for (loc, sku), (t, q, o) in totals.items()]
    return sorted(rows, key=_walking_order)


def _walking_order(row: PickRow) -> tuple[bool, tuple[tuple[int, int | str], ...], str]:
    return (row.location == UNASSIGNED_LOCATION, _natural_key(row.location), row.sku)


def pick_lines_for_labels(labels: Iterable[Label], locations: dict[str, str]) -> list[PickLine]:
    """Every label item as a pick line; locations maps SKU → warehouse location (库位)."""
    return [
        PickLine(locations.get(item.sku, ""), item.sku, item.title, item.quantity, ",".join(label.order_ids))
        for label in labels
        for item in label.items
    ]
