"""after-sales cases (售后单) and their history; follow-ups of negative feedback (客户回访);
buyer profiles and which profile each order belongs to; business statistics (facts and rollups)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "aftersale_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("case_type", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=20), server_default="other", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raw_status", sa.String(length=64), server_default="", nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), server_default="0", nullable=False),
        sa.Column("sku", sa.String(length=128), server_default="", nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="0", nullable=False),
        sa.Column("return_carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("return_tracking_no", sa.String(length=64), server_default="", nullable=False),
        sa.Column("return_shipping_payer", sa.String(length=10), server_default="", nullable=False),
        sa.Column("disposition", sa.String(length=10), server_default="", nullable=False),
        sa.Column("outbound_order_no", sa.String(length=64), server_default="", nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "case_no"),
    )
    op.create_index("ix_aftersale_cases_order", "aftersale_cases", ["shop_id", "order_no"])
    op.create_index("ix_aftersale_cases_status", "aftersale_cases", ["status", "requested_at"])
    op.create_index("ix_aftersale_cases_return_parcel", "aftersale_cases", ["return_tracking_no"])
    op.create_table(
        "aftersale_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=20), server_default="", nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
    )
    op.create_index("ix_aftersale_history_case", "aftersale_history", ["shop_id", "case_no"])
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("feedback_at", sa.DateTime(), nullable=False),
        sa.Column("rating", sa.Integer()),
        sa.Column("themes", sa.Text(), server_default="", nullable=False),
        sa.Column("owner", sa.String(length=64), server_default="", nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("outcome", sa.String(length=20), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("closed_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "order_no", "feedback_at"),
    )
    op.create_index("ix_followups_open", "followups", ["status", "due_at"])
    op.create_table(
        "buyer_profiles",
        sa.Column("key", sa.String(length=80), primary_key=True),
        sa.Column("platform", sa.String(length=20), server_default="", nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("phone", sa.String(length=64), server_default="", nullable=False),
        sa.Column("orders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("spend", sa.Numeric(20, 2), server_default="0", nullable=False),
        sa.Column("first_order_at", sa.DateTime()),
        sa.Column("last_order_at", sa.DateTime()),
        sa.Column("categories", sa.Text(), server_default="", nullable=False),
        sa.Column("shops", sa.Text(), server_default="", nullable=False),
        sa.Column("province", sa.String(length=64), server_default="", nullable=False),
        sa.Column("refunds", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refunded", sa.Numeric(20, 2), server_default="0", nullable=False),
        sa.Column("negative_feedback", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tier", sa.String(length=40), server_default="", nullable=False),
        sa.Column("segments", sa.Text(), server_default="", nullable=False),
        sa.Column("blacklisted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("blacklist_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("blacklisted_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("blacklisted_at", sa.DateTime()),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_buyer_profiles_tier", "buyer_profiles", ["tier"])
    op.create_index("ix_buyer_profiles_last_order", "buyer_profiles", ["last_order_at"])
    op.create_table(
        "buyer_orders",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("order_no", sa.String(length=64), primary_key=True),
        sa.Column("profile_key", sa.String(length=80), nullable=False),
    )
    op.create_index("ix_buyer_orders_profile", "buyer_orders", ["profile_key"])

    # business statistics: facts per order, line and case; rollups per shop and local day
    op.create_table(
        "stats_case_facts",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=128), server_default="", nullable=False),
        sa.Column("reason_code", sa.String(length=20), server_default="", nullable=False),
        sa.Column("is_return", sa.Boolean(), nullable=False),
        sa.Column("is_refund", sa.Boolean(), nullable=False),
        sa.Column("refunded", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("resent", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_case_facts_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "case_no", name=op.f("pk_stats_case_facts")),
    )
    op.create_index("ix_stats_case_facts_day", "stats_case_facts", ["shop_id", "day"], unique=False)
    op.create_index("ix_stats_case_facts_order", "stats_case_facts", ["shop_id", "order_no"], unique=False)
    op.create_table(
        "stats_category",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sales", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_category_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "day", "category", name=op.f("pk_stats_category")),
    )
    op.create_table(
        "stats_daily",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sales", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("repeat_orders", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cases", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("returns", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunds", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("resent", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_daily_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "day", name=op.f("pk_stats_daily")),
    )
    op.create_table(
        "stats_line_facts",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("category", sa.String(length=128), server_default="", nullable=False),
        sa.Column("quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sales", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_line_facts_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "order_no", "line", name=op.f("pk_stats_line_facts")),
    )
    op.create_index("ix_stats_line_facts_day", "stats_line_facts", ["shop_id", "day"], unique=False)
    op.create_table(
        "stats_order_facts",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.Column("province", sa.String(length=64), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_order_facts_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "order_no", name=op.f("pk_stats_order_facts")),
    )
    op.create_index("ix_stats_order_facts_day", "stats_order_facts", ["shop_id", "day"], unique=False)
    op.create_table(
        "stats_province",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sales", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_province_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "day", "province", name=op.f("pk_stats_province")),
    )
    op.create_table(
        "stats_returns",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("reason_code", sa.String(length=20), nullable=False),
        sa.Column("returns", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("cases", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_returns_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "day", "sku", "reason_code", name=op.f("pk_stats_returns")),
    )
    op.create_table(
        "stats_sku",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("orders", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("sales", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_stats_sku_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "day", "sku", name=op.f("pk_stats_sku")),
    )


def downgrade() -> None:
    op.drop_table("stats_sku")
    op.drop_table("stats_returns")
    op.drop_table("stats_province")
    op.drop_index("ix_stats_order_facts_day", table_name="stats_order_facts")
    op.drop_table("stats_order_facts")
    op.drop_index("ix_stats_line_facts_day", table_name="stats_line_facts")
    op.drop_table("stats_line_facts")
    op.drop_table("stats_daily")
    op.drop_table("stats_category")
    op.drop_index("ix_stats_case_facts_order", table_name="stats_case_facts")
    op.drop_index("ix_stats_case_facts_day", table_name="stats_case_facts")
    op.drop_table("stats_case_facts")
    op.drop_index("ix_buyer_orders_profile", table_name="buyer_orders")
    op.drop_table("buyer_orders")
    op.drop_index("ix_buyer_profiles_last_order", table_name="buyer_profiles")
    op.drop_index("ix_buyer_profiles_tier", table_name="buyer_profiles")
    op.drop_table("buyer_profiles")
    op.drop_index("ix_followups_open", table_name="followups")
    op.drop_table("followups")
    op.drop_index("ix_aftersale_history_case", table_name="aftersale_history")
    op.drop_table("aftersale_history")
    op.drop_index("ix_aftersale_cases_return_parcel", table_name="aftersale_cases")
    op.drop_index("ix_aftersale_cases_status", table_name="aftersale_cases")
    op.drop_index("ix_aftersale_cases_order", table_name="aftersale_cases")
    op.drop_table("aftersale_cases")
