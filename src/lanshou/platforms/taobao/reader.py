"""Taobao / Tmall exports: the 订单报表 (one row per order) and the 宝贝报表 (one row per sub-order).

`--format taobao` / `tmall` read the 订单报表: order-level fields, receiver, amount and tracking numbers,
but no SKU lines. `--format taobao-items` / `tmall-items` read the 宝贝报表: one line per sub-order; its
records are `lines_only`, so importing it after the 订单报表 adds the lines (and a forward status change)
without blanking the buyer, address, amount or parcels. Import both files, in either order.

Header names and status texts live in headers.toml beside this module; `lanshou.platforms.tmall` reads
the same exports for Tmall shops.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lanshou.files.tabular import Table
from lanshou.orders.records import LineRecord, OrderRecord, RowError
from lanshou.platforms.base import ReadContext, register
from lanshou.platforms.exports import (
    CellError,
    Columns,
    HeaderMap,
    each_row,
    header_map,
    mapped_status,
    parcels,
    split_ids,
)

# `浙江省 杭州市 西湖区 文三路1号 (310000)`: space-separated, postcode in (half- or full-width) parentheses
POSTCODE = re.compile(r"\s*[(（]\s*\d{0,6}\s*[)）]\s*$")


def split_address(text: str) -> tuple[str, str, str, str]:
    """收货地址 -> (province, city, district, detail); the postcode is dropped."""
    parts = POSTCODE.sub("", text).strip().split(maxsplit=3)
    parts += [""] * (4 - len(parts))
    return parts[0], parts[1], parts[2], parts[3]


class TaobaoOrders:
    """订单报表: one record per row, with no lines (the 宝贝报表 brings them)."""

    name = "taobao"
    platform = "taobao"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        layout = header_map("taobao", "orders")
        cols = layout.bind(table, ctx)
        yield from each_row(
            table, lambda row, line: self._order(layout, cols, row, ctx, line), cols, ctx.limits
        )

    def _order(
        self, layout: HeaderMap, c: Columns, row: list[str], ctx: ReadContext, line: int
    ) -> OrderRecord:
        order_no = c.required_id(row, "order_no")
        shop = c.shop(row, ctx)
        tz = ctx.tz_for(self.platform, shop)
        created = c.required_time(row, "created_at", tz)
        paid = c.time(row, "paid_at", tz)
        province, city, district, address = split_address(c.text(row, "address"))
        record = OrderRecord(
            platform=self.platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=mapped_status(layout, c, row, paid is not None),
            paid_at=paid,
            is_presale=bool(c.text(row, "presale")),
            buyer_id=c.ident(row, "buyer_id"),
            buyer_name=c.text(row, "receiver_name"),
            buyer_phone=c.ident(row, "mobile") or c.ident(row, "phone"),
            province=province,
            city=city,
            district=district,
            address=address,
            buyer_message=c.text(row, "buyer_message"),
            seller_remark=c.text(row, "seller_remark"),
            order_amount=c.money(row, "order_amount"),
            source_line=line,
        )
        shipped = c.time(row, "shipped_at", tz)
        for parcel in parcels(split_ids(c.text(row, "tracking_no")), c.text(row, "carrier"), shipped):
            record.add_parcel(parcel)
        return record


class TaobaoItems:
    """宝贝报表: one `lines_only` record per sub-order row; the store merges the rows of one order."""

    name = "taobao-items"
    platform = "taobao"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        layout = header_map("taobao", "items")
        cols = layout.bind(table, ctx)
        yield from each_row(
            table, lambda row, line: self._line(layout, cols, row, ctx, line), cols, ctx.limits
        )

    def _line(
        self, layout: HeaderMap, c: Columns, row: list[str], ctx: ReadContext, line: int
    ) -> OrderRecord:
        order_no = c.required_id(row, "order_no")
        shop = c.shop(row, ctx)
        tz = ctx.tz_for(self.platform, shop)
        created = c.required_time(row, "created_at", tz)
        paid = c.time(row, "paid_at", tz)
        sub_order = c.ident(row, "line_key")
        sku = c.ident(row, "merchant_code") or c.ident(row, "outer_id") or sub_order
        if not sku:
            raise CellError(c.column("merchant_code"), "missing 商家编码 (and no 外部系统编号 or 子订单编号)")
        record = OrderRecord(
            platform=self.platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=mapped_status(layout, c, row, paid is not None),
            paid_at=paid,
            source_line=line,
            lines_only=True,
        )
        quantity = c.quantity(row, "quantity")
        unit_price = c.money(row, "unit_price")
        record.add_line(LineRecord(sub_order or sku, sku, quantity, c.text(row, "title"), "", unit_price))
        return record


register("taobao")(TaobaoOrders)
register("taobao-items")(TaobaoItems)
