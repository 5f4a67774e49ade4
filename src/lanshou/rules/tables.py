"""The merchant's saved rules: condition and action texts, compiled again (once, cached) when loaded."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("scope", String(16), nullable=False),  # review, priority, carrier, notify
    Column("condition", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("shop_id", Integer, nullable=False, server_default="0"),  # 0: every shop
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "name"),  # and no shop rule shares an every-shop rule's name (store)
    CheckConstraint("scope IN ('review','priority','carrier','notify')", name="scope_known"),
)
