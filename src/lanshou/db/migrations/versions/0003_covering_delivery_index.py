"""covering index for exact delivery percentiles

The exact-percentile look-up reads one hour bucket of delivery durations; with duration_s and
returned_eday in the index it is answered from the index alone, without a table read per parcel.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OLD = ["shop_id", "bucket", "delivered_day"]
NEW = ["shop_id", "bucket", "delivered_day", "returned_eday", "duration_s"]


def upgrade() -> None:
    with op.batch_alter_table("metric_parcels") as batch_op:
        batch_op.drop_index("ix_metric_parcels_delivery")
        batch_op.create_index("ix_metric_parcels_delivery", NEW, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("metric_parcels") as batch_op:
        batch_op.drop_index("ix_metric_parcels_delivery")
        batch_op.create_index("ix_metric_parcels_delivery", OLD, unique=False)
