"""Parcels (a tracking number on an order) and the carrier events of each tracking number."""

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
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("tracking_no", String(64), nullable=False),
    Column("shipped_at", DateTime),
    UniqueConstraint("tracking_no"),
)
Index("ix_parcels_order", parcels.c.shop_id, parcels.c.order_no)

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
