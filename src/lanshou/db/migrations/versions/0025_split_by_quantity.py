"""shipment_parts.quantity: a split (拆单) may divide one line's units between parts (5 → 3 + 2), so a line
may sit in several parts; NULL keeps the old meaning, the whole line

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipment_parts", recreate="always") as batch:
        batch.add_column(sa.Column("quantity", sa.Integer(), nullable=True))
        batch.drop_constraint("pk_shipment_parts", type_="primary")
        batch.create_primary_key("pk_shipment_parts", ["shop_id", "order_no", "line_key", "part"])
        batch.create_check_constraint("shipment_part_quantity_positive", "quantity IS NULL OR quantity >= 1")


def downgrade() -> None:
    # a line divided between parts cannot be told in the old shape: the whole line goes to its first part
    op.execute(
        "DELETE FROM shipment_parts WHERE EXISTS (SELECT 1 FROM shipment_parts AS earlier"
        " WHERE earlier.shop_id = shipment_parts.shop_id AND earlier.order_no = shipment_parts.order_no"
        " AND earlier.line_key = shipment_parts.line_key AND earlier.part < shipment_parts.part)"
    )
    with op.batch_alter_table("shipment_parts", recreate="always") as batch:
        batch.drop_constraint("shipment_part_quantity_positive", type_="check")
        batch.drop_constraint("pk_shipment_parts", type_="primary")
        batch.create_primary_key("pk_shipment_parts", ["shop_id", "order_no", "line_key"])
        batch.drop_column("quantity")
