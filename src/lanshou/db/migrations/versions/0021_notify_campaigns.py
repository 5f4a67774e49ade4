"""segment campaigns: notify_campaigns (a segment, a template, a channel, maybe a coupon code) and
notify_campaign_messages (which outbox message belongs to which campaign and buyer profile)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_campaigns",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("segment", sa.String(length=100), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("coupon", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("shop_id", "name", name="uq_notify_campaigns_name"),
    )
    op.create_table(
        "notify_campaign_messages",
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("notify_outbox.id"), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("notify_campaigns.id"), nullable=False),
        sa.Column("profile_key", sa.String(length=80), nullable=False),
    )
    op.create_index("ix_notify_campaign_messages_campaign", "notify_campaign_messages", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_notify_campaign_messages_campaign", table_name="notify_campaign_messages")
    op.drop_table("notify_campaign_messages")
    op.drop_table("notify_campaigns")
