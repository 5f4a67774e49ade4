"""metric_misses: why each order that can miss M1/M5/M4 missed, kept by the rollup upkeep so the misses page
reads it instead of judging the window's orders on every request

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_misses",
        sa.Column("shop_id", sa.Integer(), primary_key=True),
        sa.Column("order_no", sa.String(length=64), primary_key=True),
        sa.Column("m1_reason", sa.String(length=32)),
        sa.Column("m1_detail", sa.Text()),
        sa.Column("m5_reason", sa.String(length=32)),
        sa.Column("m5_detail", sa.Text()),
        sa.Column("carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("skus", sa.Text(), server_default="[]", nullable=False),
        sa.Column("warehouse", sa.String(length=64), server_default="", nullable=False),
        sa.Column("pay_hour", sa.Integer()),
        sa.Column("province", sa.String(length=64), server_default="", nullable=False),
    )
    # existing databases: the misses of an order derived before this revision (no row here) are judged from
    # its raw rows until it is derived again; `lanshou metrics rebuild` fills the table at once


def downgrade() -> None:
    op.drop_table("metric_misses")
