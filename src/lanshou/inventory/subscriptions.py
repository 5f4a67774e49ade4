"""Inventory follows shipping and after-sales: when an order leaves, what it reserved leaves the shelf
(deduct); when a return is received and passes inspection, it comes back (restock)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, OrderShipped, ReturnReceived
from lanshou.inventory.parts import deduct_part
from lanshou.inventory.reserve import deduct_orders
from lanshou.inventory.returns import take_back
from lanshou.orders.timeline import TimelineEntry, record


def subscribe(bus: EventBus) -> None:
    bus.during(OrderShipped, deduct_shipped)
    bus.during(ReturnReceived, partial(restock_returned, events=bus))


def deduct_shipped(conn: Connection, event: Any) -> None:
    """In the shipping transaction: the deduction commits or rolls back with the shipment itself."""
    now = datetime.now(UTC).replace(tzinfo=None)
    note = f"发货 shipped {event.carrier} {event.tracking_no}"
    if event.part:  # one shipment of a split order (拆单): only what that part holds
        done = deduct_part(conn, event.key, event.part, event.goods, now, note=f"{note} (part {event.part})")
    else:
        done = deduct_orders(conn, [event.key], now, note=note)
    if done:
        detail = f"出库 stock deducted: shipped with {event.carrier} {event.tracking_no}"
        if event.part:
            detail += f" (包裹 part {event.part})"
        shop_id, order_no = event.key
        record(conn, [TimelineEntry(shop_id, order_no, now, "stock_deducted", detail)])


def restock_returned(conn: Connection, event: Any, events: EventBus) -> None:
    """In the after-sales transaction: the goods are back on the shelf exactly when the case says so."""
    take_back(conn, event, datetime.now(UTC).replace(tzinfo=None), events)
