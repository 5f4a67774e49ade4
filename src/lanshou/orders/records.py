"""Plain records that every importer produces and the store consumes.

Times are naive UTC datetimes: readers convert the shop's local time on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from lanshou.orders.status import OrderStatus


@dataclass(slots=True)
class LineRecord:
    line_key: str  # the platform's sub-order id, else the SKU (made unique within the order)
    sku: str
    quantity: int
    title: str = ""
    category: str = ""
    unit_price: Decimal | None = None


@dataclass(slots=True)
class ParcelRecord:
    tracking_no: str
    carrier: str = ""
    shipped_at: datetime | None = None


@dataclass(slots=True)
class OrderRecord:
    platform: str
    shop: str
    order_no: str
    created_at: datetime
    status: OrderStatus = OrderStatus.PAID
    paid_at: datetime | None = None
    is_presale: bool = False
    promised_ship_by: datetime | None = None
    buyer_id: str = ""
    buyer_name: str = ""
    buyer_phone: str = ""
    province: str = ""
    city: str = ""
    district: str = ""
    address: str = ""
    buyer_message: str = ""
    country: str = ""  # the destination country (cross-border shops), an ISO code when recognised
    seller_remark: str = ""  # 卖家备注 / 商家备注
    order_amount: Decimal | None = None
    buyer_data_masked: bool = False  # Douyin 密文: kept as sent, flagged
    buyer_email: str = ""  # checked by the reader (lanshou.platforms.values.parse_email)
    lines: list[LineRecord] = field(default_factory=list)
    parcels: list[ParcelRecord] = field(default_factory=list)
    source_line: int = 0  # first line of the file this order came from
    # Only lines, status and times are known (e.g. Taobao 宝贝报表): on a stored order the store adds the
    # lines and takes a forward status change, but keeps every other stored field.
    lines_only: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.shop, self.order_no)

    def add_line(self, line: LineRecord) -> None:
        for existing in self.lines:  # a few lines per order: a loop beats building a set
            if existing.line_key == line.line_key:
                taken = {existing.line_key for existing in self.lines}
                n = 2
                while f"{line.line_key}#{n}" in taken:
                    n += 1
                line.line_key = f"{line.line_key}#{n}"
                break
        self.lines.append(line)

    def add_parcel(self, parcel: ParcelRecord) -> None:
        for known in self.parcels:  # one or two parcels: a loop beats building a set
            if known.tracking_no == parcel.tracking_no:
                return
        self.parcels.append(parcel)


@dataclass(slots=True)
class TrackingEventRecord:
    tracking_no: str
    carrier: str
    event_time: datetime
    status: str  # normalised
    raw_status: str
    location: str = ""
    description: str = ""
    source_line: int = 0


@dataclass(slots=True)
class FeedbackRecord:
    platform: str
    shop: str
    order_no: str
    created_at: datetime
    rating: int | None
    tags: tuple[str, ...]
    content: str = ""
    source_line: int = 0


@dataclass(slots=True)
class RowError:
    file: str
    line: int
    column: str
    reason: str
    raw: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.reason}"
