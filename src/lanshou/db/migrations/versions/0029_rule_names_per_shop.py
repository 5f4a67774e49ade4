"""rules: a name is unique per shop (with the every-shop rules: lanshou.rules.store), not across shops

A user granted one shop was told "a rule named X exists" when a shop they cannot see had one.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01 04:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rules") as batch_op:
        batch_op.drop_constraint("uq_rules_name", type_="unique")
        batch_op.create_unique_constraint("uq_rules_shop_id", ["shop_id", "name"])


def downgrade() -> None:
    with op.batch_alter_table("rules") as batch_op:
        batch_op.drop_constraint("uq_rules_shop_id", type_="unique")
        batch_op.create_unique_constraint("uq_rules_name", ["name"])
