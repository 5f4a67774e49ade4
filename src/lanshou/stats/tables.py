"""Statistics facts (one row per order, line and after-sales case) and their rollups per shop and day."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
)

from lanshou.db.marks import marks_table
from lanshou.db.metadata import metadata


def _money(name: str) -> Column[object]:
    return Column(name, Numeric(20, 2), nullable=False, server_default="0")  # sums of many orders


def _count(name: str) -> Column[object]:
    return Column(name, BigInteger, nullable=False, server_default="0")  # sums of many orders


stats_order_facts = Table(
    "stats_order_facts",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("day", Date, nullable=False),  # shop-local day of payment (else creation)
    Column("at", DateTime, nullable=False),  # payment (else creation), naive UTC: orders a buyer's purchases
    Column("counted", Boolean, nullable=False),  # a sale: not unpaid, cancelled or a ¥0 resend
    Column("repeat", Boolean, nullable=False),  # the buyer bought before
    _money("amount"),
    Column("province", String(64), nullable=False, server_default=""),
)
Index("ix_stats_order_facts_day", stats_order_facts.c.shop_id, stats_order_facts.c.day)

stats_line_facts = Table(
    "stats_line_facts",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("order_no", String(64), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("sku", String(128), nullable=False),
    Column("category", String(128), nullable=False, server_default=""),
    _count("quantity"),
    _money("sales"),
)
Index("ix_stats_line_facts_day", stats_line_facts.c.shop_id, stats_line_facts.c.day)

stats_case_facts = Table(
    "stats_case_facts",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("case_no", String(64), primary_key=True),
    Column("order_no", String(64), nullable=False),
    Column("day", Date, nullable=False),  # shop-local day the buyer asked
    Column("sku", String(128), nullable=False, server_default=""),
    Column("reason_code", String(20), nullable=False, server_default=""),
    Column("carrier", String(64), nullable=False, server_default=""),  # of the order's first parcel
    Column("is_return", Boolean, nullable=False),  # goods come back (return and refund, exchange)
    Column("is_refund", Boolean, nullable=False),  # money went back (退款成功)
    _money("refunded"),
    _money("resent"),  # value of goods sent again (exchange, reship), at the order's prices
)
Index("ix_stats_case_facts_order", stats_case_facts.c.shop_id, stats_case_facts.c.order_no)
Index("ix_stats_case_facts_day", stats_case_facts.c.shop_id, stats_case_facts.c.day)

stats_daily = Table(
    "stats_daily",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    _count("orders"),
    _money("sales"),
    _count("repeat_orders"),
    _count("cases"),
    _count("returns"),
    _count("refunds"),
    _money("refunded"),
    _money("resent"),
)

stats_category = Table(
    "stats_category",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(128), primary_key=True),
    _count("quantity"),
    _money("sales"),
)

stats_sku = Table(
    "stats_sku",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sku", String(128), primary_key=True),
    _count("orders"),
    _count("quantity"),
    _money("sales"),
)

stats_province = Table(
    "stats_province",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("province", String(64), primary_key=True),
    _count("orders"),
    _money("sales"),
)

stats_returns = Table(
    "stats_returns",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("sku", String(128), primary_key=True),
    Column("reason_code", String(20), primary_key=True),
    _count("returns"),
    _count("cases"),
    _money("refunded"),
)

# damage and loss (破损, 少件/丢件) by the carrier that brought the order
stats_carrier_damage = Table(
    "stats_carrier_damage",
    metadata,
    Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("carrier", String(64), primary_key=True),
    Column("reason_code", String(20), primary_key=True),
    _count("cases"),
    _money("refunded"),
)


def _span_key() -> tuple[Column[object], ...]:
    """Blocks of `days` aligned days (2, 4, … 128), numbered first day's ordinal // days (stats.spans).
    Size and block lead the key so one block's rows are one index range, for one shop or all."""
    return (
        Column("days", Integer, primary_key=True),
        Column("block", Integer, primary_key=True),
        Column("shop_id", Integer, ForeignKey("shops.id"), primary_key=True),
    )


# the rollups summed over aligned blocks of days: a period reads a few blocks plus single days
stats_sku_span = Table(
    "stats_sku_span",
    metadata,
    *_span_key(),
    Column("sku", String(128), primary_key=True),
    _count("orders"),
    _count("quantity"),
    _money("sales"),
)

stats_returns_span = Table(  # by SKU, all reasons
    "stats_returns_span",
    metadata,
    *_span_key(),
    Column("sku", String(128), primary_key=True),
    _count("returns"),
    _count("cases"),
    _money("refunded"),
)

stats_reason_span = Table(  # by reason, all SKUs
    "stats_reason_span",
    metadata,
    *_span_key(),
    Column("reason_code", String(20), primary_key=True),
    _count("returns"),
    _count("cases"),
    _money("refunded"),
)

stats_category_span = Table(
    "stats_category_span",
    metadata,
    *_span_key(),
    Column("category", String(128), primary_key=True),
    _count("quantity"),
    _money("sales"),
)

stats_province_span = Table(
    "stats_province_span",
    metadata,
    *_span_key(),
    Column("province", String(64), primary_key=True),
    _count("orders"),
    _money("sales"),
)

# a period's single days of all shops: the primary keys lead with the shop (PostgreSQL scanned the table)
for _daily in (stats_sku, stats_returns, stats_category, stats_province):
    Index(f"ix_{_daily.name}_day", _daily.c.day, _daily.c.shop_id)

SPANS = (  # each daily rollup a period reads by key, and its blocks
    (stats_sku, stats_sku_span),
    (stats_returns, stats_returns_span),
    (stats_returns, stats_reason_span),
    (stats_category, stats_category_span),
    (stats_province, stats_province_span),
)
DAILY_ROLLUPS = (
    stats_daily,
    stats_category,
    stats_sku,
    stats_province,
    stats_returns,
    stats_carrier_damage,
)
ROLLUPS = (*DAILY_ROLLUPS, *(span for _, span in SPANS))
FACTS = (stats_order_facts, stats_line_facts, stats_case_facts)

# orders whose statistics facts must be derived again (lanshou.db.marks)
stats_dirty = marks_table("stats_dirty")
