"""Douyin 抖店 order export (`--format douyin`): one row per sub-order, order columns repeated.

Traps handled: ids protected by a leading TAB; `-` for a missing value; buyer data sent encrypted (密文,
`##…`/`$$…`), kept as sent and flagged `buyer_data_masked`; several sub-orders packed in one row as
`;`-separated parallel lists in 子订单编号 / 商家编码 / 商品数量 (and, when the counts match, 选购商品 /
商品规格 / 商品单价); 快递信息 as `运单号-快递公司`, several separated by `;`. Money is in yuan.

Header names, status texts and the separators live in headers.toml beside this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo

from lanshou.files.tabular import Table
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, RowError
from lanshou.orders.status import OrderStatus
from lanshou.platforms.base import ReadContext, register
from lanshou.platforms.exports import CellError, Columns, HeaderMap, check, each_row, header_map
from lanshou.platforms.values import clean_id, is_masked, is_missing, parse_money, parse_quantity

# sub-order columns that may pack one value per sub-order; `counted` ones decide how many sub-orders
COUNTED = ("line_key", "merchant_code", "quantity")
FOLLOWING = ("title", "spec", "unit_price")


def split_packed(text: str, separator: str) -> list[str]:
    return [part.strip() for part in text.split(separator)] if text else [""]


def parse_parcels(text: str, separator: str, shipped_at: datetime | None) -> list[ParcelRecord]:
    """快递信息 `运单号-快递公司[;运单号-快递公司…]` -> parcels (a bare number has no carrier)."""
    found = []
    for part in text.split(separator):
        number, _, carrier = part.strip().partition("-")
        number = clean_id(number)
        if number and not is_missing(number):
            found.append(ParcelRecord(number, carrier.strip(), shipped_at))
    return found


class DouyinOrders:
    name = "douyin"
    platform = "douyin"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        layout = header_map("douyin", "orders")
        cols = layout.bind(table, ctx)

        def parse(row: list[str], line: int) -> OrderRecord:
            record, tz = self._order(layout, cols, row, ctx, line)
            self._add_lines(layout, cols, row, record)
            self._add_parcels(layout, cols, row, record, tz)
            return record

        yield from each_row(table, parse, cols, ctx.limits)

    def _order(
        self, layout: HeaderMap, c: Columns, row: list[str], ctx: ReadContext, line: int
    ) -> tuple[OrderRecord, tzinfo]:
        order_no = c.required_id(row, "order_no")
        shop = c.shop(row, ctx)
        tz = ctx.tz_for(self.platform, shop)
        created = c.required_time(row, "created_at", tz)
        status, paid_by_status = self._status(layout, c, row)
        paid = c.time(row, "paid_at", tz) or (created if paid_by_status else None)
        name, phone, address = c.text(row, "receiver_name"), c.ident(row, "phone"), c.text(row, "address")
        record = OrderRecord(
            platform=self.platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=status,
            paid_at=paid,
            buyer_name=name,
            buyer_phone=phone,
            province=c.text(row, "province"),
            city=c.text(row, "city"),
            district=c.text(row, "district"),
            address=address,
            buyer_message=c.text(row, "buyer_message"),
            seller_remark=c.text(row, "seller_remark"),
            order_amount=c.money(row, "order_amount"),
            buyer_data_masked=any(is_masked(v) for v in (name, phone, address)),
            source_line=line,
        )
        return record, tz

    def _status(self, layout: HeaderMap, c: Columns, row: list[str]) -> tuple[OrderStatus, bool]:
        """(status, whether the status implies the order was paid)."""
        text, column = c.text(row, "status"), c.column("status")
        if not text:
            raise CellError(column, f"missing {column}")
        after_sale = layout.text_map("after_sale").get(c.text(row, "after_sale"))
        if after_sale:
            return OrderStatus(after_sale), True
        status = check(text, column, layout.status)
        return status, text in layout.texts("paid_statuses")

    def _add_lines(self, layout: HeaderMap, c: Columns, row: list[str], record: OrderRecord) -> None:
        sep = str(layout.raw["pack_separator"])
        packed = {f: split_packed(c.text(row, f), sep) for f in (*COUNTED, *FOLLOWING)}
        count = max(len(packed[f]) for f in COUNTED)
        for field in COUNTED:
            if len(packed[field]) not in (1, count) or (field == "quantity" and len(packed[field]) != count):
                raise CellError(
                    c.column(field), f"{len(packed[field])} value(s) for {count} packed sub-orders"
                )
        for i in range(count):
            value = {f: _nth(packed[f], i, count, sep) for f in packed}
            record.add_line(self._line(c, value))

    def _line(self, c: Columns, value: dict[str, str]) -> LineRecord:
        key = clean_id(value["line_key"])
        sku = clean_id(value["merchant_code"]) or key
        if not sku:
            raise CellError(c.column("merchant_code"), "missing 商家编码 and 子订单编号")
        quantity = check(value["quantity"], c.column("quantity"), parse_quantity)
        price = check(value["unit_price"], c.column("unit_price"), parse_money)
        title = " ".join(t for t in (value["title"], value["spec"]) if t and not is_missing(t))
        return LineRecord(key or sku, sku, quantity, title, "", price)

    def _add_parcels(
        self, layout: HeaderMap, c: Columns, row: list[str], record: OrderRecord, tz: tzinfo
    ) -> None:
        shipped = c.time(row, "shipped_at", tz)
        for parcel in parse_parcels(c.text(row, "parcels"), str(layout.raw["pack_separator"]), shipped):
            record.add_parcel(parcel)


def _nth(parts: list[str], i: int, count: int, sep: str) -> str:
    """The i-th packed value; a single value (or a count that does not match) belongs to every sub-order."""
    if len(parts) == count:
        return "" if is_missing(parts[i]) else parts[i]
    return sep.join(parts)


register("douyin")(DouyinOrders)
