"""Shops, paid orders accepted by review, a pool and a carrier file for the batch-ship tests, and what they
read back (pages, statuses, numbers used, timeline kinds)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from sqlalchemy import Connection, Engine, func, select

from lanshou import schema as s
from lanshou.db.engine import write_transaction
from lanshou.orders import timeline
from lanshou.review.queries import ready_shipments
from lanshou.shipping.config import ShippingConfig, parse_config
from lanshou.shipping.pool_store import DbNumberPool
from lanshou.shipping.ship import ShipOptions, ship
from lanshou.shops.store import load_shops

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
    review: str = "accepted",
) -> None:
    """A paid (or `status`) order with one line, reviewed as `review` ("" for not reviewed)."""
    paid = PAID_AT + timedelta(minutes=minutes)
    if review:
        conn.execute(
            s.review_state.insert(),
            {"shop_id": shop_id, "order_no": order_no, "state": review, "reviewed_at": paid},
        )
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


def run(engine: Engine, tmp_path: Path, name: str = "labels.pdf", **kw: Any) -> Any:
    with engine.connect() as conn:
        shipments = kw.pop("shipments", None) or ready_shipments(conn)
        shops = load_shops(conn)
    options = ShipOptions(tmp_path / name, upload_dir=tmp_path / "upload", **kw.pop("options", {}))
    return ship(engine, shipments, config(), shops, options, {}, **kw)


def pages(path: Path) -> int:
    return len(pdfium.PdfDocument(str(path)))


def page_texts(path: Path) -> list[str]:
    """Each page's text, as a PDF reader extracts it (the labels embed their font, so Chinese reads back)."""
    doc = pdfium.PdfDocument(str(path))
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def count(engine: Engine, query: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def statuses(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(s.orders.c.order_no, s.orders.c.status)).all())


def used_numbers(engine: Engine) -> int:
    return count(engine, select(func.count()).where(s.waybill_numbers.c.status == "used"))


def kinds(engine: Engine, order_no: str) -> list[str]:
    with engine.connect() as conn:
        return [e.kind for e in timeline.read(conn, 1, order_no)]
