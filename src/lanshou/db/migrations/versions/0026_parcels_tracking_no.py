"""parcels: an index on tracking_no alone. The alert scan asks each candidate parcel's shop by tracking
number (the unique key leads with shop_id), and without it SQLite scanned every parcel per candidate: the
full scan after a 200k-order demo took ~30 s of CPU, growing with the square of the data

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 21:30:00
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
