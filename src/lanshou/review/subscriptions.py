"""Review follows imports and stock:
- after orders are imported or changed, shops with auto-review on (`auto_review` in their settings, off by
  default) have their new paid orders reviewed at once, and the held ones an import repeats looked at again
  (a presale hold may be due by now);
- orders the platform cancelled or refunded give back the stock they held (in the import's transaction);
- when stock arrives, orders held only for stock are reviewed again;
- every five minutes (`review.catch_up`, lanshou.review.tasks) auto-review shops' holds that came due are
  looked at again, whether or not an import names them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, and_, select, update

from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.events import EventBus, OrdersChanged, OrderShipped, OrdersImported, StockArrived, bus
from lanshou.inventory.reserve import release_orders
from lanshou.inventory.tables import reservations
from lanshou.orders.tables import orders
from lanshou.orders.timeline import TimelineEntry, record
from lanshou.review.model import Limits
from lanshou.review.run import review_orders, utc_now
from lanshou.review.tables import shipment_parts
from lanshou.shops.store import load_shops

CLOSED = ("cancelled", "refunded")
r, o = reservations.c, orders.c


def subscribe(bus: EventBus) -> None:
    bus.during(OrdersChanged, release_closed)
    bus.during(OrderShipped, part_shipped)
    bus.after((OrdersChanged, OrdersImported), auto_review)
    bus.after((StockArrived,), recheck_stock)


def part_shipped(conn: Connection, event: Any) -> None:
    """A part of a split order (拆单) left: in the shipping transaction, so it is never offered again."""
    if event.part:
        p = shipment_parts.c
        conn.execute(
            update(shipment_parts)
            .where(p.shop_id == event.key[0], p.order_no == event.key[1], p.part == event.part)
            .values(shipped_at=utc_now())
        )


def release_closed(conn: Connection, event: Any) -> None:
    """Orders the platform closed give back what they reserved. Looked up in one join, and not at all when
    nothing is reserved (an import of orders into a shop that keeps no stock in Lanshou pays nothing)."""
    keys = list(event.keys)
    if not keys or conn.execute(select(r.id).where(r.state == "reserved").limit(1)).first() is None:
        return
    k = keyset(conn, keys, ORDER_KEY)
    holding = [
        (row.shop_id, row.order_no)
        for row in conn.execute(
            select(r.shop_id, r.order_no)
            .distinct()
            .select_from(
                reservations.join(k, and_(k.c.shop_id == r.shop_id, k.c.order_no == r.order_no)).join(
                    orders, and_(o.shop_id == r.shop_id, o.order_no == r.order_no)
                )
            )
            .where(r.state == "reserved", o.status.in_(CLOSED))
        )
    ]
    if holding:
        now = utc_now()
        release_orders(conn, holding, now, note="平台取消 closed on the platform")
        detail = "释放库存 stock released: the order was closed on the platform"
        record(conn, [TimelineEntry(shop, no, now, "stock_released", detail) for shop, no in holding])
        bus.publish(conn, StockArrived(()))  # freed stock: orders held for it are looked at again


def auto_review_shops(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {i for i, shop in load_shops(conn).items() if Limits.from_settings(shop.settings).auto_review}


def auto_review(engine: Engine, events: list[Any]) -> int:
    auto = auto_review_shops(engine)
    keys = [key for event in events for key in event.keys if key[0] in auto]
    if not keys:
        return 0
    return len(review_orders(engine, keys=list(dict.fromkeys(keys))).results)


def review_due(engine: Engine) -> int:
    """Shops that review automatically: their holds due again (a presale hold whose time came) and any paid
    order no review saw yet (one whose review after its import was lost with the process), whatever
    brings them; the `review.catch_up` job runs it. Returns how many orders were decided."""
    auto = auto_review_shops(engine)
    if not auto:
        return 0
    return len(review_orders(engine, shop_ids=sorted(auto)).results)


def recheck_stock(engine: Engine, events: list[Any]) -> int:
    return len(review_orders(engine, recheck_stock=True).results)
