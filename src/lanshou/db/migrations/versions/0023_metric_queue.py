"""metric_queue: each open order's first scan and what its queue deadlines are made of, kept by the rollup
upkeep so the at-risk queue reads them instead of loading every open order's facts on every request;
metric_orders indexed by pay day and promise day for the misses page's window

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 20:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_queue",
        sa.Column("shop_id", sa.Integer(), primary_key=True),
        sa.Column("order_no", sa.String(length=64), primary_key=True),
        sa.Column("paid_at", sa.DateTime(), nullable=False),
        sa.Column("first_scan_at", sa.DateTime()),
        sa.Column("delivered_at", sa.DateTime()),
        sa.Column("oldest_last_event", sa.DateTime()),
        sa.Column("newest_event", sa.DateTime()),
        sa.Column("categories", sa.Text(), server_default="[]", nullable=False),
        sa.Column("has_waybill", sa.Boolean(), nullable=False),
        sa.Column("carrier", sa.String(length=64), server_default="", nullable=False),
        sa.Column("skus", sa.Text(), server_default="[]", nullable=False),
        sa.Column("warehouse", sa.String(length=64), server_default="", nullable=False),
    )
    op.create_index("ix_metric_queue_paid", "metric_queue", ["shop_id", "paid_at"])
    # the misses page selects its window's derived rows by these days
    op.create_index("ix_metric_orders_pay_day", "metric_orders", ["shop_id", "pay_day"])
    op.create_index("ix_metric_orders_promise_day", "metric_orders", ["shop_id", "promise_day"])
    # existing databases: every open order is marked, so the next refresh writes its row; until then the
    # queue judges it from its raw rows, as it does any order marked since the last refresh
    # (an order marked already keeps its one mark: the marks are a queue without a unique key)
    op.execute(
        "INSERT INTO metric_dirty_orders (shop_id, order_no) "
        "SELECT o.shop_id, o.order_no FROM orders o "
        "WHERE o.status IN ('paid', 'shipped') AND o.paid_at IS NOT NULL AND NOT EXISTS ("
        "SELECT 1 FROM metric_dirty_orders d WHERE d.shop_id = o.shop_id AND d.order_no = o.order_no)"
    )


def downgrade() -> None:
    op.drop_index("ix_metric_orders_promise_day", table_name="metric_orders")
    op.drop_index("ix_metric_orders_pay_day", table_name="metric_orders")
    op.drop_index("ix_metric_queue_paid", table_name="metric_queue")
    op.drop_table("metric_queue")
