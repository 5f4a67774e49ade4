"""Every table of every area in one namespace: for migrations, tests, benchmarks and the demo generator
(which writes them all). Area code imports its own `tables` module and reaches other areas' data through
their queries, never through this."""

from __future__ import annotations

from lanshou.customers.tables import buyers, feedback
from lanshou.db.metadata import metadata
from lanshou.metrics.tables import (
    metric_dirty_orders,
    metric_dirty_tracking,
    metric_orders,
    metric_parcels,
    rollup_delivery,
    rollup_delivery_carrier,
    rollup_delivery_province,
    rollup_feedback,
    rollup_freshness,
    rollup_pickup,
    rollup_promise,
)
from lanshou.orders.tables import order_events, order_lines, orders
from lanshou.shops.tables import shops
from lanshou.tracking.tables import parcel_orders, parcels, tracking_events

__all__ = [
    "buyers",
    "feedback",
    "metadata",
    "metric_dirty_orders",
    "metric_dirty_tracking",
    "metric_orders",
    "metric_parcels",
    "order_events",
    "order_lines",
    "orders",
    "parcel_orders",
    "parcels",
    "rollup_delivery",
    "rollup_delivery_carrier",
    "rollup_delivery_province",
    "rollup_feedback",
    "rollup_freshness",
    "rollup_pickup",
    "rollup_promise",
    "shops",
    "tracking_events",
]
