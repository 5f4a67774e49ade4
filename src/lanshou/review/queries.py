"""Shipments ready to leave, read from the database.

INTERIM (branch `ship`): every paid order not yet shipped, one shipment per order, oldest payment first.
The review area's own version (accepted orders only, merged orders, mapped SKUs, bin locations) replaces
this file at merge; the signature stays the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import Connection, select

from lanshou.orders.keys import CHUNK
from lanshou.orders.tables import order_lines, orders
from lanshou.review.ready import ReadyLine, ReadyShipment
from lanshou.shops.tables import shops

PICKUP_HOURS = 24  # M1's common limit; the review area reads each platform's pack


def ready_shipments(
    conn: Connection, *, shop_ids: Sequence[int] | None = None, limit: int | None = None
) -> list[ReadyShipment]:
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
