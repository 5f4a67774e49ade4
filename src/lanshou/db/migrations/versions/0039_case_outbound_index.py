"""aftersale_cases: the outbound order's number is indexed, for shipping it to find its case

Shipping an exchange's replacement or a reship's order is its case's 已发出 step
(lanshou.aftersales.subscriptions.follow_outbound): the case is looked up by its outbound order's number
for each such order a ship run ships. Without an index each look-up read the shop's every case.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-03 13:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_aftersale_cases_outbound", "aftersale_cases", ["shop_id", "outbound_order_no"])


def downgrade() -> None:
    op.drop_index("ix_aftersale_cases_outbound", table_name="aftersale_cases")
