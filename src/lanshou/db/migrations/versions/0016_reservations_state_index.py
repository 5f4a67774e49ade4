"""reservations get an index on their state: every import batch asks whether anything is reserved (to give
closed orders' stock back), and closed reservations pile up over the years

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reservations_state", "reservations", ["state"])


def downgrade() -> None:
    op.drop_index("ix_reservations_state", table_name="reservations")
