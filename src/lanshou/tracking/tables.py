"""Parcels, the orders each parcel carries, and the carrier events of each tracking number.

A parcel is the physical thing a carrier scans, known by its tracking number within a shop. One parcel may
carry several orders (合并发货: two orders of one buyer in one box) and one order may travel in several
parcels (拆单), so which orders a parcel carries is a link table of its own. Carrier events belong to the
tracking number: every order the parcel carries sees them.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

parcels = Table(
    "parcels",
    metadata,
    Column("id", Integer, primary_key=True),  # the order parcels were first seen in: a stable sort key
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("tracking_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("shipped_at", DateTime),  # when the waybill was printed / the orders were marked shipped
    UniqueConstraint("shop_id", "tracking_no"),
)

# Which orders a parcel carries: written by lanshou.tracking.store, read through lanshou.tracking.queries.
parcel_orders = Table(
    "parcel_orders",
    metadata,
    Column("tracking_no", String(64), primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),
)
Index("ix_parcel_orders_order", parcel_orders.c.shop_id, parcel_orders.c.order_no)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("event_time", DateTime, nullable=False),
    Column("status", String(32), nullable=False),
    Column("raw_status", String(64), nullable=False, server_default=""),
    Column("location", String(200), nullable=False, server_default=""),
    Column("description", Text, nullable=False, server_default=""),
    UniqueConstraint("tracking_no", "event_time", "raw_status"),
)

Index("ix_tracking_events_time", tracking_events.c.event_time)
