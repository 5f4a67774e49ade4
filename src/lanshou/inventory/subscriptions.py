"""Inventory follows shipping and after-sales: when an order leaves, what it reserved leaves the shelf
(deduct); when a return is received and passes inspection, it comes back (restock)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, OrderShipped, ReturnReceived
from lanshou.inventory.reserve import deduct_orders
from lanshou.inventory.returns import take_back
from lanshou.orders.timeline import TimelineEntry, record


def subscribe(bus: EventBus) -> None:
    bus.during(OrderShipped, deduct_shipped)
    bus.during(ReturnReceived, partial(restock_returned, events=bus))


def deduct_shipped(conn: Connection, event: Any) -> None:
    """In the shipping transaction: the deduction commits or rolls back with the shipment itself."""
    now = datetime.now(UTC).replace(tzinfo=None)
    if deduct_orders(conn, [event.key], now, note=f"发货 shipped {event.carrier} {event.tracking_no}"):
        detail = f"出库 stock deducted: shipped with {event.carrier} {event.tracking_no}"
        shop_id, order_no = event.key
        record(conn, [TimelineEntry(shop_id, order_no, now, "stock_deducted", detail)])


def restock_returned(conn: Connection, event: Any, events: EventBus) -> None:
    """In the after-sales transaction: the goods are back on the shelf exactly when the case says so."""
    take_back(conn, event, datetime.now(UTC).replace(tzinfo=None), events)
