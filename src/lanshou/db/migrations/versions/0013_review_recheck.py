"""review_state.recheck_at: when a held order (a presale not yet due) is looked at again by `review run`

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_state") as batch:
        batch.add_column(sa.Column("recheck_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_state") as batch:
        batch.drop_column("recheck_at")
