"""parcels: an index on tracking_no alone (look-ups of a tracking number's parcels whatever the shop)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 20:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_parcels_tracking_no", "parcels", ["tracking_no"])


def downgrade() -> None:
    op.drop_index("ix_parcels_tracking_no", table_name="parcels")
