"""metric_orders: partial indexes over the orders that can miss M1 / M5 (the misses read of one metric)

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# as lanshou.metrics.tables declares them (SQLite stores booleans as 0/1)
M1_SQLITE = "limit_hours IS NOT NULL AND pickup_on_time IS NOT 1"
M1_POSTGRES = "limit_hours IS NOT NULL AND pickup_on_time IS NOT true"
M5_SQLITE = "by_promise IS NOT 1"
M5_POSTGRES = "by_promise IS NOT true"


def upgrade() -> None:
    op.create_index(
        "ix_metric_orders_m1_can_miss",
        "metric_orders",
        ["shop_id", "pay_day"],
        sqlite_where=sa.text(M1_SQLITE),
        postgresql_where=sa.text(M1_POSTGRES),
    )
    op.create_index(
        "ix_metric_orders_m5_can_miss",
        "metric_orders",
        ["shop_id", "promise_day"],
        sqlite_where=sa.text(M5_SQLITE),
        postgresql_where=sa.text(M5_POSTGRES),
    )


def downgrade() -> None:
    op.drop_index("ix_metric_orders_m5_can_miss", table_name="metric_orders")
    op.drop_index("ix_metric_orders_m1_can_miss", table_name="metric_orders")
