"""The generic orders file of METRICS.md: one row per order line, order columns repeated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import TypeVar

from lanshou.files.tabular import Table
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, Platform, RowError
from lanshou.orders.status import OrderStatus, parse_status
from lanshou.platforms.base import ReadContext, register, require_columns
from lanshou.platforms.values import (
    clean_id,
    is_masked,
    parse_bool,
    parse_money,
    parse_optional_time,
    parse_quantity,
    parse_time,
)

REQUIRED = ("platform", "shop", "order_id", "created_at", "sku", "quantity")
OPTIONAL = (
    "status",
    "paid_at",
    "is_presale",
    "promised_ship_by",
    "buyer_id",
    "buyer_name",
    "buyer_phone",
    "province",
    "city",
    "district",
    "address",
    "buyer_message",
    "title",
    "category",
    "unit_price",
    "order_amount",
    "carrier",
    "tracking_no",
    "shipped_at",
)


class GenericOrders:
    name = "generic"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        required = [c for c in REQUIRED if not (c == "shop" and ctx.shop)]
        pos = require_columns(table, required)
        present = [name for name in (*REQUIRED, *OPTIONAL) if name in pos]
        pick = itemgetter(*(pos[name] for name in present))
        width = max(pos.values()) + 1
        for line, row in table.rows:
            if len(row) < width:
                row = row + [""] * (width - len(row))
            values = dict(zip(present, map(str.strip, pick(row)), strict=True))
            try:
                yield self._record(values, ctx, line)
            except _CellError as exc:
                yield RowError(table.path.name, line, exc.column, exc.reason, row)

    def _record(self, v: dict[str, str], ctx: ReadContext, line: int) -> OrderRecord:
        get = v.get
        platform = _check(get("platform", "").lower(), "platform", _platform)
        shop = get("shop", "") or (ctx.shop or "")
        if not shop:
            raise _CellError("shop", "missing shop")
        order_no = _check(get("order_id", ""), "order_id", _required_id)
        tz = ctx.tz_for(platform, shop)
        created = _check(get("created_at", ""), "created_at", lambda t: parse_time(_required(t), tz))
        status_text = get("status", "")
        status = _check(status_text, "status", parse_status) if status_text else OrderStatus.PAID
        paid = _check(get("paid_at", ""), "paid_at", lambda t: parse_optional_time(t, tz))
        presale = _check(get("is_presale", ""), "is_presale", parse_bool)
        promised = _check(
            get("promised_ship_by", ""), "promised_ship_by", lambda t: parse_optional_time(t, tz)
        )
        sku = _check(get("sku", ""), "sku", _required_id)
        quantity = _check(get("quantity", ""), "quantity", parse_quantity)
        unit_price = _check(get("unit_price", ""), "unit_price", parse_money)
        amount = _check(get("order_amount", ""), "order_amount", parse_money)
        shipped = _check(get("shipped_at", ""), "shipped_at", lambda t: parse_optional_time(t, tz))
        name, phone, address = get("buyer_name", ""), clean_id(get("buyer_phone", "")), get("address", "")
        record = OrderRecord(
            platform=platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=status,
            paid_at=paid,
            is_presale=presale,
            promised_ship_by=promised,
            buyer_id=clean_id(get("buyer_id", "")),
            buyer_name=name,
            buyer_phone=phone,
            province=get("province", ""),
            city=get("city", ""),
            district=get("district", ""),
            address=address,
            buyer_message=get("buyer_message", ""),
            order_amount=amount,
            buyer_data_masked=is_masked(name) or is_masked(phone) or is_masked(address),
            source_line=line,
        )
        record.lines.append(LineRecord(sku, sku, quantity, get("title", ""), get("category", ""), unit_price))
        tracking_no = clean_id(get("tracking_no", ""))
        if tracking_no:
            record.parcels.append(ParcelRecord(tracking_no, get("carrier", ""), shipped))
        return record


class _CellError(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


T = TypeVar("T")


def _check(text: str, column: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(text)
    except ValueError as exc:
        reason = f"missing {column}" if str(exc) == "missing value" else str(exc)
        raise _CellError(column, reason) from None


def _required(text: str) -> str:
    if not text:
        raise ValueError("missing value")
    return text


def _required_id(text: str) -> str:
    return _required(clean_id(text))


def _platform(text: str) -> str:
    if text not in Platform.ALL:
        raise ValueError(f"unknown platform {text!r} (expected one of {', '.join(Platform.ALL)})")
    return text


register("generic")(GenericOrders)
