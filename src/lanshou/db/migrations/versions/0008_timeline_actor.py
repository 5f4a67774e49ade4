"""the order timeline records who acted: order_events.actor (a user name, or "system")

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_events") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=64), server_default="system", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("order_events") as batch:
        batch.drop_column("actor")
