"""Review (审单) state per order, and the blacklist review checks against."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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
from lanshou.orders.tables import orders

# One row per reviewed order; an order without a row has not been reviewed yet.
review_state = Table(
    "review_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # accepted, held, cancelled
    Column("reasons", Text, nullable=False, server_default=""),  # hold reasons, one per line
    Column("stock_only", Boolean, nullable=False, server_default="0"),  # held only for stock: re-reviewed
    Column("priority", Integer, nullable=False, server_default="0"),  # 0-9, 9 most urgent
    Column("tags", Text, nullable=False, server_default=""),  # '|'-separated
    Column("warehouse", String(32), nullable=False, server_default=""),  # where its stock is reserved
    Column("pickup_deadline", DateTime),  # M1: pay + L (None for presale)
    Column("ship_by", DateTime),  # M5: the promised ship time
    Column("merge_group", String(100), nullable=False, server_default=""),  # 合单: orders shipped together
    Column("recheck_at", DateTime),  # held until then (a presale not yet due): `review run` looks again
    Column("reviewed_at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False, server_default="system"),
    UniqueConstraint("shop_id", "order_no"),
    CheckConstraint("state IN ('accepted','held','cancelled')", name="review_state_known"),
    CheckConstraint("priority BETWEEN 0 AND 9", name="priority_range"),
)
Index("ix_review_state_state", review_state.c.state, review_state.c.priority)
# the orders of a 合单 group, for a page of ready shipments (migration 0019)
Index("ix_review_state_merge_group", review_state.c.shop_id, review_state.c.merge_group)

# 拆单: an order split into shipments. One row per order line of a split order and shipment part (1, 2, …)
# it travels in, with the units it takes there when a line is divided between parts (5 → 3 + 2). An order
# without rows ships whole. `shipped_at` is set on a part's lines when it ships.
shipment_parts = Table(
    "shipment_parts",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("line_key", String(128), primary_key=True),
    Column("part", Integer, primary_key=True),
    Column("split_at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False, server_default="system"),
    Column("shipped_at", DateTime),
    Column("quantity", Integer),  # units of the line in this part; NULL: the whole line
    CheckConstraint("part >= 1", name="shipment_part_positive"),
    CheckConstraint("quantity IS NULL OR quantity >= 1", name="shipment_part_quantity_positive"),
)

# Buyers, phones and addresses whose orders are held for a person to look at.
review_blacklist = Table(
    "review_blacklist",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),  # buyer, phone, address
    Column("value", String(300), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("kind", "value"),
    CheckConstraint("kind IN ('buyer','phone','address')", name="blacklist_kind_known"),
)

# Review reads orders by buyer (history, merge candidates, 合单) and picks the paid ones: indexes it needs.
Index("ix_orders_buyer_key", orders.c.buyer_key)
Index("ix_orders_status", orders.c.status, orders.c.id)
