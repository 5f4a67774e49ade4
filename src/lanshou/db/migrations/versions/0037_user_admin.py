"""users.session_epoch and user_changes: a user's sessions can be ended, and every account change is kept

A browser session held only the user's id, so nothing could end it but the user signing out: after a
password change (or disabling a user, then enabling them again) the old cookies still worked. A session now
also holds the user's session epoch, raised by a password change and by disabling; a session made under an
older epoch is refused. Changes to a user (password, role, shop grants, disable/enable, token revoked) are
kept in user_changes with who made them and when.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "user_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="", nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_changes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_changes")),
    )
    op.create_index("ix_user_changes_user", "user_changes", ["user_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_user_changes_user", table_name="user_changes")
    op.drop_table("user_changes")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
