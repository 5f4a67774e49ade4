"""Inventory follows shipping: when an order leaves, what it reserved leaves the shelf (deduct)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, OrderShipped
from lanshou.inventory.reserve import deduct_orders
from lanshou.orders.timeline import TimelineEntry, record


def subscribe(bus: EventBus) -> None:
    bus.during(OrderShipped, deduct_shipped)


def deduct_shipped(conn: Connection, event: Any) -> None:
    """In the shipping transaction: the deduction commits or rolls back with the shipment itself."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if deduct_orders(conn, [event.key], now, note=f"发货 shipped {event.carrier} {event.tracking_no}"):
        detail = f"出库 stock deducted: shipped with {event.carrier} {event.tracking_no}"
        shop_id, order_no = event.key
        record(conn, [TimelineEntry(shop_id, order_no, now, "stock_deducted", detail)])
