"""Warehouses, stock, platform SKU mappings, reservations and the stock ledger."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
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

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("rank", Integer, nullable=False, server_default="0"),  # reservation tries lower ranks first
)

# One row per stock SKU and warehouse. available = on_hand - reserved; the database refuses to oversell.
stock = Table(
    "stock",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sku", String(128), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=False),
    Column("on_hand", Integer, nullable=False, server_default="0"),
    Column("reserved", Integer, nullable=False, server_default="0"),
    Column("safety_stock", Integer, nullable=False, server_default="0"),
    Column("location", String(64), nullable=False, server_default=""),  # bin, for the pick list
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("sku", "warehouse_id"),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0", name="reserved_not_negative"),
    CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
)

# A platform SKU (per shop; shop_id 0 = every shop) -> stock SKUs. Several rows for one platform SKU make a
# bundle (套装); quantity is units of the stock SKU per unit sold. Unmapped: the line SKU is the stock SKU.
sku_mappings = Table(
    "sku_mappings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, nullable=False, server_default="0"),
    Column("platform_sku", String(128), nullable=False),
    Column("stock_sku", String(128), nullable=False),
    Column("quantity", Integer, nullable=False, server_default="1"),
    UniqueConstraint("shop_id", "platform_sku", "stock_sku"),
    CheckConstraint("quantity > 0", name="mapping_quantity_positive"),
)

# What an order holds: one row per stock SKU and warehouse, alive while state = 'reserved'.
reservations = Table(
    "reservations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("sku", String(128), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    # 0: the order as a whole; n: what shipment part n of a split order (拆单) takes when it ships
    Column("part", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    CheckConstraint("quantity > 0", name="reservation_quantity_positive"),
    CheckConstraint("state IN ('reserved','released','deducted')", name="reservation_state_known"),
)
Index("ix_reservations_order", reservations.c.shop_id, reservations.c.order_no)
# live reservations among years of closed ones: "is anything reserved?" on every import batch, and releases
Index("ix_reservations_state", reservations.c.state)

# Every movement: counts, adjustments, reserve, release, deduct. Per SKU and warehouse the sums of the
# deltas equal the stock row's on_hand and reserved.
stock_ledger = Table(
    "stock_ledger",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("sku", String(128), nullable=False),
    Column("warehouse_id", Integer, ForeignKey("warehouses.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # count, adjust, reserve, release, deduct, return
    Column("on_hand_delta", Integer, nullable=False, server_default="0"),
    Column("reserved_delta", Integer, nullable=False, server_default="0"),
    Column("shop_id", Integer),
    Column("order_no", String(64), nullable=False, server_default=""),
    Column("actor", String(64), nullable=False, server_default="system"),
    Column("note", Text, nullable=False, server_default=""),
)
Index("ix_stock_ledger_sku", stock_ledger.c.sku, stock_ledger.c.warehouse_id)
