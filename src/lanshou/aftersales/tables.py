"""After-sales cases (售后单) and each case's history of steps."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lanshou.db.metadata import metadata

# One row per platform case, keyed by (shop, the platform's case id); `status` is ours (states.CaseStatus),
# `raw_status` the platform's own value as it was last read.
aftersale_cases = Table(
    "aftersale_cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("order_no", String(64), nullable=False),
    Column("case_type", String(20), nullable=False),
    Column("reason_code", String(20), nullable=False, server_default="other"),
    Column("reason", Text, nullable=False, server_default=""),
    Column("status", String(20), nullable=False),
    Column("raw_status", String(64), nullable=False, server_default=""),
    Column("amount", Numeric(14, 2), nullable=False, server_default="0"),
    Column("sku", String(128), nullable=False, server_default=""),  # the line it is for, when known
    Column("quantity", Integer, nullable=False, server_default="0"),
    Column("return_carrier", String(64), nullable=False, server_default=""),
    Column("return_tracking_no", String(64), nullable=False, server_default=""),
    Column("return_shipping_payer", String(10), nullable=False, server_default=""),  # buyer | seller
    Column("disposition", String(10), nullable=False, server_default=""),  # restock | write_off
    Column("outbound_order_no", String(64), nullable=False, server_default=""),  # exchange / reship
    Column("requested_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("shop_id", "case_no"),
)
Index("ix_aftersale_cases_order", aftersale_cases.c.shop_id, aftersale_cases.c.order_no)
Index("ix_aftersale_cases_status", aftersale_cases.c.status, aftersale_cases.c.requested_at)
Index("ix_aftersale_cases_return_parcel", aftersale_cases.c.return_tracking_no)
# shipping an outbound order finds its case (lanshou.aftersales.subscriptions.follow_outbound)
Index("ix_aftersale_cases_outbound", aftersale_cases.c.shop_id, aftersale_cases.c.outbound_order_no)

# Every step of a case: who, when, from which status to which, and why.
aftersale_history = Table(
    "aftersale_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("shop_id", Integer, ForeignKey("shops.id"), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("from_status", String(20), nullable=False, server_default=""),
    Column("to_status", String(20), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)
Index("ix_aftersale_history_case", aftersale_history.c.shop_id, aftersale_history.c.case_no)
