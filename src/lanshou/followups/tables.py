"""Follow-up tasks (客户回访): one per negative feedback."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from lanshou.db.metadata import metadata

followups = Table(
    "followups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("feedback_at", DateTime, nullable=False),  # the feedback's own time: with the order, its key
    Column("rating", Integer),
    Column("themes", Text, nullable=False, server_default=""),  # '|'-separated shipping problems
    Column("owner", String(64), nullable=False, server_default=""),
    Column("due_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False, server_default="open"),  # open | closed
    Column("outcome", String(20), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("closed_by", String(64), nullable=False, server_default=""),
    Column("closed_at", DateTime),
    Column("opened_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "order_no", "feedback_at"),
)
# the list's order among the open ones, id last: its keyset pages range over it (FollowupPosition)
Index("ix_followups_open", followups.c.status, followups.c.due_at, followups.c.id)
