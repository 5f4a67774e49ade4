"""the buyers and follow-ups lists' orders indexed whole, for their keyset pages

The buyers list (spend, most first, then key) and the follow-ups list (open ones by due time, then id) are
paged by keyset now, each page the rows after the last one shown: an index in the list's own order lets a
page start at its position. Buyers had none on spend; the follow-ups' (status, due_at) lacked the id that
breaks ties (SQLite keeps the rowid in every index, PostgreSQL does not).

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_buyer_profiles_spend", "buyer_profiles", [sa.text("spend DESC"), "key"])
    op.drop_index("ix_followups_open", table_name="followups")
    op.create_index("ix_followups_open", "followups", ["status", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_followups_open", table_name="followups")
    op.create_index("ix_followups_open", "followups", ["status", "due_at"])
    op.drop_index("ix_buyer_profiles_spend", table_name="buyer_profiles")
