"""Shops, paid orders, a pool and a carrier file for the batch-ship tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, Engine, select

from lanshou import schema as s
from lanshou.db.engine import write_transaction
from lanshou.orders.keys import CHUNK
from lanshou.orders.tables import order_lines, orders
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.shipping.config import ShippingConfig, parse_config
from lanshou.shipping.pool_store import DbNumberPool
from lanshou.shops.tables import shops

CARRIERS = """
strategy = "cheapest"

[sender]
name = "李四"
phone = "15999566666"
province = "浙江省"
city = "杭州市"
district = "余杭区"
address = "文一西路969号"

[[carriers]]
code = "zto"
service = "标准快递"
exclude = ["西藏"]
prices."*" = { first_g = 1000, first = 4.5, extra_g = 1000, extra = 1.5 }

[[carriers]]
code = "ems"
prices."*" = { first_g = 1000, first = 10.0, extra_g = 1000, extra = 4.0 }

[[rules]]
name = "偏远地区走邮政"
when = "province in ['新疆', '西藏']"
carrier = "ems"
"""

PAID_AT = datetime(2026, 11, 30, 2, 0)
PICKUP_HOURS = 24


def config() -> ShippingConfig:
    return parse_config(CARRIERS)


def add_shop(conn: Connection, shop_id: int = 1, platform: str = "taobao", name: str = "旗舰店") -> None:
    conn.execute(s.shops.insert(), {"id": shop_id, "platform": platform, "name": name})


def add_order(
    conn: Connection,
    order_no: str,
    *,
    shop_id: int = 1,
    status: str = "paid",
    province: str = "广东省",
    address: str = "科技南十二路2号",
    minutes: int = 0,
) -> None:
    paid = PAID_AT + timedelta(minutes=minutes)
    conn.execute(
        s.orders.insert(),
        {
            "shop_id": shop_id,
            "order_no": order_no,
            "status": status,
            "created_at": paid,
            "paid_at": paid,
            "receiver_name": "张三",
            "receiver_phone": "13800001234",
            "province": province,
            "city": "深圳市",
            "district": "南山区",
            "address": address,
            "order_amount": Decimal("88.00"),
            "updated_at": paid,
        },
    )
    conn.execute(
        s.order_lines.insert(),
        {
            "shop_id": shop_id,
            "order_no": order_no,
            "line_key": "1",
            "sku": f"SKU-{order_no[-2:]}",
            "title": "保温杯 500ml",
            "quantity": 2,
        },
    )


def load_pool(engine: Engine, carrier: str, count: int, start: int = 0) -> list[str]:
    numbers = [f"7{carrier[:1].upper()}{i:012d}" for i in range(start, start + count)]
    with write_transaction(engine) as conn:
        DbNumberPool(conn).add(carrier, numbers)
    return numbers


def paid_shipments(
    conn: Connection, *, shop_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ReadyShipment]:
    """Every paid order as its own shipment, oldest payment first: what these tests ship, whichever review
    area's `ready_shipments` (accepted orders only) the CLI reads."""
    o, s = orders.c, shops.c
    query = (
        select(orders, s.platform, s.name.label("shop_name"))
        .select_from(orders.join(shops, s.id == o.shop_id))
        .where(o.status == "paid")
        .order_by(o.paid_at, o.id)
    )
    if shop_ids is not None:
        query = query.where(o.shop_id.in_(list(shop_ids)))
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    lines = _lines(conn, [(r.shop_id, r.order_no) for r in rows])
    return [
        ReadyShipment(
            keys=((r.shop_id, r.order_no),),
            platform=r.platform,
            shop=r.shop_name,
            shop_id=r.shop_id,
            warehouse="",
            priority=0,
            pickup_deadline=r.paid_at + timedelta(hours=PICKUP_HOURS) if r.paid_at else None,
            promised_ship_by=r.promised_ship_by,
            receiver_name=r.receiver_name,
            receiver_phone=r.receiver_phone,
            country="CN",
            province=r.province,
            city=r.city,
            district=r.district,
            address=r.address,
            buyer_data_masked=bool(r.buyer_data_masked),
            shipping_method="",
            amount=r.order_amount,
            lines=tuple(lines.get((r.shop_id, r.order_no), ())),
            remark="",
        )
        for r in rows
    ]


def _lines(conn: Connection, keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[ReadyLine]]:
    found: dict[tuple[int, str], list[ReadyLine]] = {}
    t = order_lines.c
    by_shop: dict[int, list[str]] = {}
    for shop_id, order_no in keys:
        by_shop.setdefault(shop_id, []).append(order_no)
    for shop_id, numbers in by_shop.items():
        for start in range(0, len(numbers), CHUNK):
            query = (
                select(t.order_no, t.sku, t.title, t.quantity, t.category)
                .where(t.shop_id == shop_id, t.order_no.in_(numbers[start : start + CHUNK]))
                .order_by(t.order_no, t.line_key)
            )
            for r in conn.execute(query):
                line = ReadyLine(r.order_no, r.sku, r.title, r.quantity, r.category)
                found.setdefault((shop_id, r.order_no), []).append(line)
    return found
