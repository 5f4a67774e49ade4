"""Inventory follows shipping: when an order leaves, what it reserved leaves the shelf (deduct)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, OrderShipped
from lanshou.inventory.reserve import deduct_orders


def subscribe(bus: EventBus) -> None:
    bus.during(OrderShipped, deduct_shipped)


def deduct_shipped(conn: Connection, event: Any) -> None:
    """In the shipping transaction: the deduction commits or rolls back with the shipment itself."""
    now = datetime.now(UTC).replace(tzinfo=None)
    deduct_orders(conn, [event.key], now, note=f"发货 shipped {event.carrier} {event.tracking_no}")
