"""Shared set-up for inventory and review tests: a shop, stock rows, a small helper to read stock back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select

from lanshou.inventory.counts import Count, apply_counts
from lanshou.schema import shops, stock, warehouses

NOW = datetime(2026, 11, 30, 12, 0, 0)


def make_shop(conn: Connection, name: str = "旗舰店", platform: str = "tmall", settings: str = "{}") -> int:
    conn.execute(shops.insert().values(platform=platform, name=name, settings=settings))
    return int(conn.execute(select(shops.c.id).where(shops.c.name == name)).scalar_one())


def put_stock(engine: Engine, rows: list[tuple[str, str, int]]) -> None:
    with engine.begin() as conn:
        apply_counts(
            conn, [Count(i, sku, site, qty, None) for i, (sku, site, qty) in enumerate(rows, 2)], NOW
        )


def stock_of(conn: Connection) -> dict[tuple[str, str], tuple[int, int]]:
    s, w = stock.c, warehouses.c
    query = select(s.sku, w.code, s.on_hand, s.reserved).join(warehouses, w.id == s.warehouse_id)
    return {(row.sku, row.code): (row.on_hand, row.reserved) for row in conn.execute(query)}


def add_order(
    conn: Connection,
    shop_id: int,
    order_no: str,
    lines: list[tuple[str, int]],
    **fields: object,
) -> tuple[int, str]:
    """A paid order with a complete address (fields override), and its lines (SKU, quantity)."""
    from datetime import timedelta
    from decimal import Decimal

    from lanshou.schema import order_lines, orders

    values: dict[str, object] = {
        "shop_id": shop_id,
        "order_no": order_no,
        "status": "paid",
        "created_at": NOW - timedelta(hours=2),
        "paid_at": NOW - timedelta(hours=2),
        "buyer_key": f"buyer-{order_no}",
        "receiver_name": "张三",
        "receiver_phone": "13800138000",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": f"文三路{order_no}号",
        "order_amount": Decimal("99.00"),
        "updated_at": NOW,
    }
    values.update(fields)
    conn.execute(orders.insert().values(**values))
    for number, (sku, quantity) in enumerate(lines):
        conn.execute(
            order_lines.insert().values(
                shop_id=shop_id,
                order_no=order_no,
                line_key=str(number),
                sku=sku,
                title=f"商品 {sku}",
                quantity=quantity,
            )
        )
    return (shop_id, order_no)
