"""notifications: rules, merchant templates, per-shop settings, the outbox (delivery log) and opt-outs

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("condition", sa.Text(), server_default="", nullable=False),
        sa.Column("template", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), server_default="zh-CN", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "name", name="uq_notify_rules_name"),
    )
    op.create_index("ix_notify_rules_shop_stage", "notify_rules", ["shop_id", "stage"])
    op.create_table(
        "notify_templates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "name", "language", "format", name="uq_notify_templates_part"),
    )
    op.create_table(
        "notify_settings",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("quiet_start", sa.String(length=5)),
        sa.Column("quiet_end", sa.String(length=5)),
        sa.Column("rate_max", sa.Integer()),
        sa.Column("rate_window_s", sa.Integer()),
        sa.Column("channels", sa.Text(), server_default="{}", nullable=False),
        sa.Column("high_value", sa.Numeric(precision=14, scale=2)),
        sa.Column("repeat_after", sa.Integer()),
        sa.Column("long_transit_h", sa.Integer()),
        sa.Column("segments", sa.Text(), server_default="{}", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("tracking_no", sa.String(length=64), server_default="", nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.Integer()),
        sa.Column("template", sa.String(length=64), server_default="default", nullable=False),
        sa.Column("language", sa.String(length=8), server_default="zh-CN", nullable=False),
        sa.Column("buyer_key", sa.String(length=200), server_default="", nullable=False),
        sa.Column("recipient", sa.Text(), server_default="", nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime()),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.Column("provider_id", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime()),
        sa.UniqueConstraint("idempotency_key", name="uq_notify_outbox_key"),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["state", "next_attempt_at"])
    op.create_index("ix_notify_outbox_buyer_sent", "notify_outbox", ["buyer_key", "sent_at"])
    op.create_index("ix_notify_outbox_shop_created", "notify_outbox", ["shop_id", "created_at"])
    op.create_table(
        "notify_optouts",
        sa.Column("buyer_key", sa.String(length=200), primary_key=True),
        sa.Column("channel", sa.String(length=16), primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notify_optouts")
    op.drop_index("ix_notify_outbox_shop_created", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_buyer_sent", table_name="notify_outbox")
    op.drop_index("ix_notify_outbox_due", table_name="notify_outbox")
    op.drop_table("notify_outbox")
    op.drop_table("notify_settings")
    op.drop_table("notify_templates")
    op.drop_index("ix_notify_rules_shop_stage", table_name="notify_rules")
    op.drop_table("notify_rules")
