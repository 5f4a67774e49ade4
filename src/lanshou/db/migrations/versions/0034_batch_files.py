"""batch_files: a dashboard or API ship run keeps its platform upload files and pick/packing lists

`lanshou ship` writes each platform's batch-ship upload file (订单号 + 物流公司 + 运单号, how a marketplace
learns what shipped when no API is set up) beside the labels; a ship run from the dashboard or the API kept
only the labels PDF, so the platforms were never told. Its other files are now stored with it and served
as its labels are.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_files",
        sa.Column("label_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("label_id", "position", name=op.f("pk_batch_files")),
    )


def downgrade() -> None:
    op.drop_table("batch_files")
