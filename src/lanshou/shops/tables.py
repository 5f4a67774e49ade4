"""Shops: one row per (platform, shop name), with its timezone and settings."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

# A shop is never deleted: the bulk tables (orders, their lines and timeline, parcels, feedback) name it by
# id with no FOREIGN KEY (migration 0031 says why); the smaller tables keep theirs.
shops = Table(
    "shops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    Column("settings", Text, nullable=False, server_default="{}"),  # JSON: rule-pack overrides, cutoff...
    UniqueConstraint("platform", "name"),
)
