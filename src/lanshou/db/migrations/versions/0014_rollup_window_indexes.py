"""rollup tables get an index on the day a report's window selects on (with the shop)

The unique key of each rollup table starts with the shop (and, for rollup_pickup, the rule), so a 30-day
report read every row of the shops' whole history and filtered by day; these indexes make it read the window.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

WINDOWS = {
    "rollup_pickup": "pay_day",
    "rollup_promise": "promise_day",
    "rollup_feedback": "pay_day",
    "rollup_delivery": "delivered_day",
    "rollup_delivery_carrier": "delivered_day",
    "rollup_delivery_province": "delivered_day",
    "rollup_freshness": "pickup_day",
}


def upgrade() -> None:
    for table, day in WINDOWS.items():
        op.create_index(f"ix_{table}_window", table, [day, "shop_id"])


def downgrade() -> None:
    for table in WINDOWS:
        op.drop_index(f"ix_{table}_window", table_name=table)
