"""The generic orders file of METRICS.md: one row per order line, order columns repeated."""

from __future__ import annotations

from collections.abc import Iterator

from lanshou.files.tabular import Table
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, Platform, RowError
from lanshou.orders.status import OrderStatus, parse_status
from lanshou.platforms.base import ReadContext, cell, register, require_columns
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
        where = {name: pos.get(name) for name in (*REQUIRED, *OPTIONAL)}
        for line, row in table.rows:
            column = ""
            try:
                column = "platform"
                platform = cell(row, where["platform"]).lower()
                if platform not in Platform.ALL:
                    raise ValueError(
                        f"unknown platform {platform!r} (expected one of {', '.join(Platform.ALL)})"
                    )
                column = "shop"
                shop = cell(row, where["shop"]) or (ctx.shop or "")
                if not shop:
                    raise ValueError("missing shop")
                column = "order_id"
                order_no = clean_id(cell(row, where["order_id"]))
                if not order_no:
                    raise ValueError("missing order_id")
                tz = ctx.tz_for(platform, shop)
                column = "created_at"
                created_text = cell(row, where["created_at"])
                if not created_text:
                    raise ValueError("missing created_at")
                created = parse_time(created_text, tz)
                column = "status"
                status_text = cell(row, where["status"])
                status = parse_status(status_text) if status_text else OrderStatus.PAID
                column = "paid_at"
                paid = parse_optional_time(cell(row, where["paid_at"]), tz)
                column = "is_presale"
                presale = parse_bool(cell(row, where["is_presale"]))
                column = "promised_ship_by"
                promised = parse_optional_time(cell(row, where["promised_ship_by"]), tz)
                column = "sku"
                sku = clean_id(cell(row, where["sku"]))
                if not sku:
                    raise ValueError("missing sku")
                column = "quantity"
                quantity = parse_quantity(cell(row, where["quantity"]))
                column = "unit_price"
                unit_price = parse_money(cell(row, where["unit_price"]))
                column = "order_amount"
                amount = parse_money(cell(row, where["order_amount"]))
                column = "shipped_at"
                shipped = parse_optional_time(cell(row, where["shipped_at"]), tz)
            except ValueError as exc:
                yield RowError(table.path.name, line, column, str(exc), row)
                continue
            name = cell(row, where["buyer_name"])
            phone = cell(row, where["buyer_phone"])
            address = cell(row, where["address"])
            record = OrderRecord(
                platform=platform,
                shop=shop,
                order_no=order_no,
                created_at=created,
                status=status,
                paid_at=paid,
                is_presale=presale,
                promised_ship_by=promised,
                buyer_id=clean_id(cell(row, where["buyer_id"])),
                buyer_name=name,
                buyer_phone=clean_id(phone),
                province=cell(row, where["province"]),
                city=cell(row, where["city"]),
                district=cell(row, where["district"]),
                address=address,
                buyer_message=cell(row, where["buyer_message"]),
                order_amount=amount,
                buyer_data_masked=is_masked(name) or is_masked(phone) or is_masked(address),
                source_line=line,
            )
            record.lines.append(
                LineRecord(
                    line_key=sku,
                    sku=sku,
                    quantity=quantity,
                    title=cell(row, where["title"]),
                    category=cell(row, where["category"]),
                    unit_price=unit_price,
                )
            )
            tracking_no = clean_id(cell(row, where["tracking_no"]))
            if tracking_no:
                record.parcels.append(ParcelRecord(tracking_no, cell(row, where["carrier"]), shipped))
            yield record


register("generic")(GenericOrders)
