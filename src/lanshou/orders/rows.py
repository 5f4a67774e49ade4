"""An imported order as plain tuples: what the store writes.

Readers produce OrderRecords; before the store sees them they become OrderRows: tuples of str, int and
bool, with times as text (naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff", what SQLAlchemy stores on SQLite and
PostgreSQL reads as a timestamp) and money as decimal text ("12.50"). A tuple per row is what the
database driver takes, and tuples of text pickle at a fraction of the cost of parsing them (datetime and
Decimal objects do not), so a big import parses in one process while another writes
(lanshou.intake.orders).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from lanshou.db.bulk import time_text  # the SQLite storage text of a time: rows carry it pickled
from lanshou.orders.records import OrderRecord
from lanshou.orders.status import can_transition

ORDER_FIELDS = (
    "status",
    "created_at",
    "paid_at",
    "is_presale",
    "promised_ship_by",
    "buyer_key",
    "receiver_name",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "buyer_message",
    "order_amount",
    "buyer_data_masked",
    "buyer_email",
    "country",
    "seller_remark",
)
LINE_FIELDS = ("line_key", "sku", "title", "category", "quantity", "unit_price")
PARCEL_FIELDS = ("carrier", "tracking_no", "shipped_at")
BUYER_FIELDS = ("name", "phone", "address", "masked")

_STATUS, _BUYER_KEY = ORDER_FIELDS.index("status"), ORDER_FIELDS.index("buyer_key")
Values = tuple[Any, ...]
CENT = Decimal("0.01")


class OrderRows(NamedTuple):
    platform: str
    shop: str
    order_no: str
    fields: Values  # ORDER_FIELDS, in that order
    lines: list[Values]  # LINE_FIELDS each
    parcels: list[Values]  # PARCEL_FIELDS each, distinct tracking numbers
    buyer: Values | None  # BUYER_FIELDS of the buyer to store under fields' buyer_key, if any
    lines_only: bool  # see OrderRecord.lines_only
    source_line: int

    @property
    def status(self) -> str:
        return str(self.fields[_STATUS])

    @property
    def buyer_key(self) -> str:
        return str(self.fields[_BUYER_KEY])


# ORDER_FIELDS -> the OrderRecord fields it is made of: a stored value is kept when the file carries none
MADE_OF: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "paid_at": ("paid_at",),
    "is_presale": ("is_presale",),
    "promised_ship_by": ("promised_ship_by",),
    "buyer_key": ("buyer_id", "buyer_phone"),
    "receiver_name": ("buyer_name",),
    "receiver_phone": ("buyer_phone",),
    "province": ("province",),
    "city": ("city",),
    "district": ("district",),
    "address": ("address",),
    "buyer_message": ("buyer_message",),
    "order_amount": ("order_amount",),
    "buyer_data_masked": ("buyer_name", "buyer_phone", "address"),
    "buyer_email": ("buyer_email",),
    "country": ("country",),
    "seller_remark": ("seller_remark",),
}


def kept_fields(absent: frozenset[str]) -> tuple[int, ...]:
    """Positions in ORDER_FIELDS an update keeps as stored: every record field they are made of is absent
    from the file (e.g. the 订单报表 variant without 买家实际支付金额 must not blank the stored amount)."""
    return tuple(
        ORDER_FIELDS.index(name) for name, parts in MADE_OF.items() if all(p in absent for p in parts)
    )


def to_rows(records: Iterable[OrderRecord]) -> list[OrderRows]:
    """Records of a batch (several may be one order's) -> one OrderRows per order."""
    return [order_rows(record) for record in merge_records(records)]


def merge_records(records: Iterable[OrderRecord]) -> list[OrderRecord]:
    """Rows of one order (one per line in most exports) -> one record; the last order-level values win."""
    merged: dict[tuple[str, str, str], OrderRecord] = {}
    for record in records:
        seen = merged.get(record.key)
        if seen is None:
            merged[record.key] = record
            continue
        for line in record.lines:
            seen.add_line(line)
        for parcel in record.parcels:
            seen.add_parcel(parcel)
        if record.status != seen.status and can_transition(seen.status, record.status):
            seen.status = record.status
    return list(merged.values())


def order_rows(r: OrderRecord) -> OrderRows:
    key = buyer_key(r)
    fields = (
        r.status.value,
        time_text(r.created_at),
        time_text(r.paid_at),
        r.is_presale,
        time_text(r.promised_ship_by),
        key,
        r.buyer_name,
        r.buyer_phone,
        r.province,
        r.city,
        r.district,
        r.address,
        r.buyer_message,
        money_text(r.order_amount),
        r.buyer_data_masked,
        r.buyer_email,
        r.country,
        r.seller_remark,
    )
    # a lines-only record knows no buyer
    buyer = (
        (r.buyer_name, r.buyer_phone, full_address(r), r.buyer_data_masked)
        if key and not r.lines_only
        else None
    )
    return OrderRows(
        r.platform,
        r.shop,
        r.order_no,
        fields,
        [(x.line_key, x.sku, x.title, x.category, x.quantity, money_text(x.unit_price)) for x in r.lines],
        [(p.carrier, p.tracking_no, time_text(p.shipped_at)) for p in r.parcels],
        buyer,
        r.lines_only,
        r.source_line,
    )


@lru_cache(maxsize=8192)  # prices repeat
def money_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    cents = value.quantize(CENT)  # as the Numeric(14, 2) columns read back, where -0 is 0 (and both are one
    return str(cents if cents else abs(cents))  # key of this cache: Decimal("-0.00") == Decimal("0.00"))


def buyer_key(record: OrderRecord) -> str:
    if record.buyer_id:
        return record.buyer_id
    if record.buyer_phone and not record.buyer_data_masked:
        return "phone:" + record.buyer_phone
    return ""


def full_address(record: OrderRecord) -> str:
    return " ".join(filter(None, (record.province, record.city, record.district, record.address)))
