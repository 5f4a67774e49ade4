"""buyer_blacklist_log: every change of a buyer's blacklist flag, not only the last one

A buyer profile kept who last put the buyer on the blacklist or took them off, when and why; the change
before it was overwritten, so staff could not see that a buyer had been listed before, or by whom. Each
change is now a row. The changes profiles already recorded come in as the first rows.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer_blacklist_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_key", sa.String(length=80), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buyer_blacklist_log")),
    )
    op.create_index(
        "ix_buyer_blacklist_log_profile", "buyer_blacklist_log", ["profile_key", "id"], unique=False
    )
    op.execute(
        "INSERT INTO buyer_blacklist_log (profile_key, blacklisted, reason, actor, at) "
        "SELECT key, blacklisted, blacklist_reason, blacklisted_by, blacklisted_at FROM buyer_profiles "
        "WHERE blacklisted_at IS NOT NULL ORDER BY blacklisted_at"
    )


def downgrade() -> None:
    op.drop_index("ix_buyer_blacklist_log_profile", table_name="buyer_blacklist_log")
    op.drop_table("buyer_blacklist_log")
