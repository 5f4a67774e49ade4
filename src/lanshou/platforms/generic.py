"""The generic orders file of METRICS.md: one row per order line, order columns repeated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from operator import itemgetter
from typing import TypeVar

from lanshou.files.tabular import Table
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, Platform, RowError
from lanshou.orders.status import OrderStatus, parse_status
from lanshou.platforms.base import ReadContext, register, require_columns
from lanshou.platforms.values import (
    MISSING,
    clean_id,
    is_masked,
    parse_bool,
    parse_money,
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


LINE_COLUMNS = frozenset(
    {"sku", "title", "category", "quantity", "unit_price", "carrier", "tracking_no", "shipped_at"}
)


class GenericOrders:
    """Consecutive rows of one order are parsed once for the order's columns, then once per line."""

    name = "generic"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        required = [c for c in REQUIRED if not (c == "shop" and ctx.shop)]
        pos = require_columns(table, required)
        present = [name for name in (*REQUIRED, *OPTIONAL) if name in pos]
        order_names = [name for name in present if name not in LINE_COLUMNS]
        line_names = [name for name in present if name in LINE_COLUMNS]
        # at least two names each (platform, order_id…; sku, quantity), so itemgetter returns tuples
        pick_order = itemgetter(*(pos[name] for name in order_names))
        pick_line = itemgetter(*(pos[name] for name in line_names))
        width = max(pos.values()) + 1
        current: OrderRecord | None = None
        current_cells: tuple[str, ...] | None = None
        tz: tzinfo | None = None
        for line, row in table.rows:
            if len(row) < width:
                row = row + [""] * (width - len(row))
            order_cells = pick_order(row)
            try:
                if order_cells != current_cells or current is None:
                    if current is not None and current.lines:
                        yield current
                    current = current_cells = None  # stays so if this row's order cells are bad
                    values = dict(zip(order_names, map(str.strip, order_cells), strict=True))
                    current, tz = self._order(values, ctx, line)
                    current_cells = order_cells
                assert tz is not None
                self._add_line(
                    current, dict(zip(line_names, map(str.strip, pick_line(row)), strict=True)), tz
                )
            except _CellError as exc:
                yield RowError(table.path.name, line, exc.column, exc.reason, row)
        if current is not None and current.lines:
            yield current

    def _order(self, v: dict[str, str], ctx: ReadContext, line: int) -> tuple[OrderRecord, tzinfo]:
        get = v.get
        platform = _check(get("platform", "").lower(), "platform", _platform)
        shop = get("shop", "") or (ctx.shop or "")
        if not shop:
            raise _CellError("shop", "missing shop")
        order_no = _check(get("order_id", ""), "order_id", _required_id)
        tz = ctx.tz_for(platform, shop)
        created = _check_time(get("created_at", ""), "created_at", tz)
        if created is None:
            raise _CellError("created_at", "missing created_at")
        status_text = get("status", "")
        status = _check(status_text, "status", parse_status) if status_text else OrderStatus.PAID
        name, phone, address = get("buyer_name", ""), clean_id(get("buyer_phone", "")), get("address", "")
        record = OrderRecord(
            platform=platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=status,
            paid_at=_check_time(get("paid_at", ""), "paid_at", tz),
            is_presale=_check(get("is_presale", ""), "is_presale", parse_bool),
            promised_ship_by=_check_time(get("promised_ship_by", ""), "promised_ship_by", tz),
            buyer_id=clean_id(get("buyer_id", "")),
            buyer_name=name,
            buyer_phone=phone,
            province=get("province", ""),
            city=get("city", ""),
            district=get("district", ""),
            address=address,
            buyer_message=get("buyer_message", ""),
            order_amount=_check(get("order_amount", ""), "order_amount", parse_money),
            buyer_data_masked=is_masked(name) or is_masked(phone) or is_masked(address),
            source_line=line,
        )
        return record, tz

    def _add_line(self, record: OrderRecord, v: dict[str, str], tz: tzinfo) -> None:
        get = v.get
        column = "sku"
        try:  # one handler for the line's cells: this runs once per line of million-line files
            sku = _required_id(get("sku", ""))
            column = "quantity"
            quantity = parse_quantity(get("quantity", ""))
            column = "unit_price"
            unit_price = parse_money(get("unit_price", ""))
        except ValueError as exc:
            raise _CellError(column, _reason(column, exc)) from None
        shipped_text = get("shipped_at", "")
        shipped = _check_time(shipped_text, "shipped_at", tz) if shipped_text else None
        record.add_line(LineRecord(sku, sku, quantity, get("title", ""), get("category", ""), unit_price))
        tracking_no = clean_id(get("tracking_no", ""))
        if tracking_no:
            record.add_parcel(ParcelRecord(tracking_no, get("carrier", ""), shipped))


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
        raise _CellError(column, _reason(column, exc)) from None


def _reason(column: str, exc: ValueError) -> str:
    return f"missing {column}" if str(exc) == "missing value" else str(exc)


def _check_time(text: str, column: str, tz: tzinfo) -> datetime | None:
    if not text or text.lower() in MISSING:
        return None
    try:
        return parse_time(text, tz)
    except ValueError as exc:
        raise _CellError(column, str(exc)) from None


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
