"""AliExpress seller-centre order export (`--format aliexpress`, Chinese UI): one row per order.

发货期限 is the promised ship time; 实际发货物流:运单号 holds `物流方式:运单号` (several separated by a
new line, `;` or `,`); amounts carry a currency (`US $25.00`), which is dropped. 收货国家 has no field in
the model.

产品信息 packs the order's products, one product per line of the cell::

    Steel Bottle 500ml | 商家编码: BOT-500 | 属性: Color:Blue, Size:500ml | 数量: 2 | 单价: US $12.50
    Silicone Sleeve | 商家编码: SLV-1 | 数量: 1 | 单价: US $3.50

`parse_products` is tolerant: fields may be separated by `|`, `｜` or TABs; labels may be Chinese or
English (商家编码/商品编码/SKU编码/SKU, 属性/产品属性/SKU属性/规格/Attributes,
数量/产品数量/Qty/Quantity, 单价/价格/产品单价/Price) with `:` or `：`; a leading `【1】`, `[1]` or `1.`
is dropped; a bare `x 2` / `×2` is a quantity and a bare `US $3.50` a price; a line that starts with a
labelled field continues the product above (so the block form `Title` / `数量: 2` / `单价: US $3.50` on
separate lines reads the same). A product without a 数量 counts 1; its SKU is the 商家编码, else its
title. Header names and statuses live in headers.toml beside this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from lanshou.files.tabular import Table
from lanshou.orders.countries import country_code
from lanshou.orders.records import LineRecord, OrderRecord, ParcelRecord, RowError
from lanshou.platforms.base import ReadContext, register
from lanshou.platforms.exports import (
    CellError,
    Columns,
    HeaderMap,
    check,
    each_row,
    header_map,
    mapped_status,
)
from lanshou.platforms.values import clean_id, parse_money, parse_quantity

SEGMENT = re.compile(r"\s*[|｜\t]\s*")
MARKER = re.compile(r"^\s*(?:【\d+】|\[\d+\]|\d+[.、)])\s*")
LABELS = {
    "code": r"商家编码|商品编码|SKU编码|SKU|Seller\s*SKU",
    "attributes": r"产品属性|SKU属性|属性|规格|Attributes?",
    "quantity": r"产品数量|数量|Qty|Quantity",
    "price": r"产品单价|单价|价格|Price",
}
LABELLED = re.compile(
    "^(?:"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in LABELS.items())
    + r")\s*[:：]\s*(?P<value>.*)$",
    re.IGNORECASE,
)
BARE_QUANTITY = re.compile(r"^[x×*]\s*(\d+)$", re.IGNORECASE)
BARE_PRICE = re.compile(r"^(?:US|USD|EUR|CNY|RUB)?\s*[$€£¥￥]\s*[\d.,]+$", re.IGNORECASE)
CURRENCY = re.compile(r"^\s*(?:US|USD|EUR|CNY|RUB)?\s*[$€£¥￥]?\s*", re.IGNORECASE)
QUANTITY_NUMBER = re.compile(r"^\s*(\d+)")
CARRIER_SEPARATOR = re.compile(r"[:：]")
PARCEL_SEPARATOR = re.compile(r"[\n;,；，]+")


@dataclass
class Product:
    title: str = ""
    code: str = ""
    attributes: str = ""
    quantity: str = ""
    price: str = ""


def parse_amount(text: str) -> Decimal | None:
    """`US $25.00`, `$25.00`, `25.00` -> Decimal; the currency is dropped."""
    return parse_money(CURRENCY.sub("", text))


def _classify(segment: str) -> tuple[str, str] | None:
    """(field, value) for a labelled or recognisable segment; None for free text (a title)."""
    if m := LABELLED.match(segment):
        field = next(name for name in LABELS if m.group(name))
        return field, m.group("value").strip()
    if m := BARE_QUANTITY.match(segment):
        return "quantity", m.group(1)
    if BARE_PRICE.match(segment):
        return "price", segment
    return None


def parse_products(text: str) -> list[Product]:
    """产品信息 -> products, in order (see the module docstring for the layout)."""
    products: list[Product] = []
    for raw_line in text.splitlines():
        line = MARKER.sub("", raw_line)
        segments = [s for s in SEGMENT.split(line.strip()) if s]
        if not segments:
            continue
        if _classify(segments[0]) is None or not products:
            products.append(Product())
        product = products[-1]
        for segment in segments:
            found = _classify(segment)
            if found is None:
                product.title = f"{product.title} {segment}".strip()
            else:
                setattr(product, found[0], found[1])
    return products


def product_line(product: Product, n: int) -> LineRecord:
    """One parsed product -> a line; ValueError names the product by its position."""
    sku = clean_id(product.code) or product.title
    if not sku:
        raise ValueError(f"product {n}: no title and no 商家编码")
    try:
        number = QUANTITY_NUMBER.match(product.quantity)
        quantity = parse_quantity(number.group(1) if number else product.quantity) if product.quantity else 1
        price = parse_amount(product.price) if product.price else None
    except ValueError as exc:
        raise ValueError(f"product {n}: {exc}") from None
    title = f"{product.title} ({product.attributes})" if product.attributes else product.title
    return LineRecord(sku, sku, quantity, title, "", price)


def parse_parcels(text: str) -> list[tuple[str, str]]:
    """`物流方式:运单号` entries -> (carrier, tracking number); a bare number has no carrier."""
    found = []
    for entry in PARCEL_SEPARATOR.split(text):
        parts = CARRIER_SEPARATOR.split(entry.strip())
        number = clean_id(parts[-1])
        if number:
            found.append((":".join(parts[:-1]).strip(), number))
    return found


class AliExpressOrders:
    name = "aliexpress"
    platform = "aliexpress"

    def read(self, table: Table, ctx: ReadContext) -> Iterator[OrderRecord | RowError]:
        layout = header_map("aliexpress", "orders")
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
        record = OrderRecord(
            platform=self.platform,
            shop=shop,
            order_no=order_no,
            created_at=created,
            status=mapped_status(layout, c, row, paid is not None),
            paid_at=paid,
            promised_ship_by=c.time(row, "promised_ship_by", tz),
            buyer_id=c.ident(row, "buyer_id"),
            buyer_name=c.text(row, "receiver_name"),
            buyer_phone=c.ident(row, "mobile") or c.ident(row, "phone"),
            province=c.text(row, "province"),
            city=c.text(row, "city"),
            address=c.text(row, "address") or c.text(row, "full_address"),
            buyer_message=c.text(row, "buyer_message"),
            country=country_code(c.text(row, "country")),
            order_amount=check(c.text(row, "order_amount"), c.column("order_amount"), parse_amount),
            source_line=line,
        )
        self._add_lines(c, row, record)
        shipped = c.time(row, "shipped_at", tz)
        for carrier, number in parse_parcels(c.text(row, "parcels")):
            record.add_parcel(ParcelRecord(number, carrier, shipped))
        return record

    def _add_lines(self, c: Columns, row: list[str], record: OrderRecord) -> None:
        column = c.column("products")
        products = parse_products(c.text(row, "products"))
        if not products:
            raise CellError(column, f"missing {column}")
        for n, product in enumerate(products, start=1):
            try:
                record.add_line(product_line(product, n))
            except ValueError as exc:
                raise CellError(column, str(exc)) from None


register("aliexpress")(AliExpressOrders)
