"""Buyers (stored whole, masked when shown) and their feedback."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

buyers = Table(
    "buyers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("buyer_key", String(200), nullable=False),
    Column("name", String(200), nullable=False, server_default=""),
    Column("phone", String(64), nullable=False, server_default=""),
    Column("address", Text, nullable=False, server_default=""),
    Column("masked", Boolean, nullable=False, server_default="0"),
    UniqueConstraint("platform", "buyer_key"),
)


feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False),  # no FOREIGN KEY to shops: see migration 0031
    Column("order_no", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("rating", Integer),
    Column("tags", Text, nullable=False, server_default=""),  # '|'-separated, as in the files
    Column("content", Text, nullable=False, server_default=""),
    UniqueConstraint("shop_id", "order_no", "created_at"),
    CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
)
Index("ix_feedback_order", feedback.c.shop_id, feedback.c.order_no)
