"""Buyer profiles (one per buyer across shops) and which profile each order belongs to."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Table, Text

from lanshou.db.marks import marks_table
from lanshou.db.metadata import metadata

buyer_profiles = Table(
    "buyer_profiles",
    metadata,
    Column("key", String(80), primary_key=True),  # platform:buyer id, or ph:<keyed hash of the phone>
    Column("platform", String(20), nullable=False, server_default=""),  # of the last order
    Column("name", String(200), nullable=False, server_default=""),  # last receiver: masked when shown
    Column("phone", String(64), nullable=False, server_default=""),
    Column("email", String(254), nullable=False, server_default=""),  # of the last order that gave one
    Column("orders", Integer, nullable=False, server_default="0"),
    Column("spend", Numeric(20, 2), nullable=False, server_default="0"),
    Column("first_order_at", DateTime),
    Column("last_order_at", DateTime),
    Column("categories", Text, nullable=False, server_default=""),  # '|'-separated favourites
    Column("shops", Text, nullable=False, server_default=""),  # '|'-separated platform/shop
    Column("province", String(64), nullable=False, server_default=""),
    Column("refunds", Integer, nullable=False, server_default="0"),
    Column("refunded", Numeric(20, 2), nullable=False, server_default="0"),
    Column("negative_feedback", Integer, nullable=False, server_default="0"),
    Column("tier", String(40), nullable=False, server_default=""),
    Column("segments", Text, nullable=False, server_default=""),  # '|'-separated, as of updated_at
    Column("blacklisted", Boolean, nullable=False, server_default="0"),
    Column("blacklist_reason", Text, nullable=False, server_default=""),
    Column("blacklisted_by", String(64), nullable=False, server_default=""),
    Column("blacklisted_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
)
Index("ix_buyer_profiles_tier", buyer_profiles.c.tier)
Index("ix_buyer_profiles_last_order", buyer_profiles.c.last_order_at)
# the buyers list's order, which its keyset pages range over (lanshou.buyers.service.BuyerPosition)
Index("ix_buyer_profiles_spend", buyer_profiles.c.spend.desc(), buyer_profiles.c.key)

buyer_orders = Table(
    "buyer_orders",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("profile_key", String(80), nullable=False),
)
Index("ix_buyer_orders_profile", buyer_orders.c.profile_key)

# orders whose buyer profile must be recomputed (lanshou.db.marks)
buyer_dirty = marks_table("buyer_dirty")

# every change of a buyer's blacklist flag (who, when, why): the profile keeps only the current one
buyer_blacklist_log = Table(
    "buyer_blacklist_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_key", String(80), nullable=False),
    Column("blacklisted", Boolean, nullable=False),  # put on (true) or taken off (false)
    Column("reason", Text, nullable=False, server_default=""),
    Column("actor", String(64), nullable=False, server_default=""),
    Column("at", DateTime, nullable=False),
)
Index("ix_buyer_blacklist_log_profile", buyer_blacklist_log.c.profile_key, buyer_blacklist_log.c.id)
