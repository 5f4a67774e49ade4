"""batch labels PDFs move from the data directory into the database: several stateless API processes on
different machines must all be able to serve the PDF a batch printed on one of them; and review_state gets
an index on (shop_id, merge_group), so a page of ready shipments finds its 合单 groups' orders by index

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_labels",
        sa.Column("label_id", sa.String(32), primary_key=True),
        sa.Column("shop_ids", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_batch_labels_created_at", "batch_labels", ["created_at"])
    op.create_index("ix_review_state_merge_group", "review_state", ["shop_id", "merge_group"])


def downgrade() -> None:
    op.drop_index("ix_review_state_merge_group", table_name="review_state")
    op.drop_index("ix_batch_labels_created_at", table_name="batch_labels")
    op.drop_table("batch_labels")
