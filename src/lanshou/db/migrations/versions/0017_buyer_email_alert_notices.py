"""buyers' e-mail: orders.buyer_email (read from the generic orders file) and buyer_profiles.email (of the
last order that gave one), so the e-mail channel reaches buyers of imported orders; notify_outbox.alert_kind:
the exception stage follows parcel alerts, one message per parcel per alert kind

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN with a default on both databases: no table is copied
    op.add_column(
        "orders", sa.Column("buyer_email", sa.String(length=254), server_default="", nullable=False)
    )
    op.add_column(
        "buyer_profiles", sa.Column("email", sa.String(length=254), server_default="", nullable=False)
    )
    op.add_column(
        "notify_outbox", sa.Column("alert_kind", sa.String(length=32), server_default="", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("notify_outbox") as batch:
        batch.drop_column("alert_kind")
    with op.batch_alter_table("buyer_profiles") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("buyer_email")
