"""after-sales follow-up: dirty marks for buyer profiles and statistics; damage and loss by carrier

- `buyer_dirty`, `stats_dirty`: append-only marks written in the changing transaction (lanshou.db.marks), so
  a process killed between its commit and its catch-up loses nothing.
- `stats_order_facts.at` (the purchase time: orders a buyer's purchases for the repeat flag) and
  `stats_case_facts.carrier`, with the rollup `stats_carrier_damage`.

The statistics facts and rollups are derived data: the upgrade empties them and marks every order, so the
first report (or import) after it derives them again; the downgrade keeps them (the old code reads the same
facts without the new columns).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FACTS = ("stats_order_facts", "stats_line_facts", "stats_case_facts")
ROLLUPS = ("stats_daily", "stats_category", "stats_sku", "stats_province", "stats_returns")


def upgrade() -> None:
    for name in ("buyer_dirty", "stats_dirty"):
        op.create_table(
            name,
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("shop_id", sa.Integer(), nullable=False),
            sa.Column("order_no", sa.String(length=64), nullable=False),
        )
    for name in (*FACTS, *ROLLUPS):
        op.execute(f"DELETE FROM {name}")
    with op.batch_alter_table("stats_order_facts") as batch:
        batch.add_column(sa.Column("at", sa.DateTime(), nullable=False))
    with op.batch_alter_table("stats_case_facts") as batch:
        batch.add_column(sa.Column("carrier", sa.String(length=64), server_default="", nullable=False))
    op.create_table(
        "stats_carrier_damage",
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("shops.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("carrier", sa.String(length=64), primary_key=True),
        sa.Column("reason_code", sa.String(length=20), primary_key=True),
        sa.Column("cases", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("refunded", sa.Numeric(precision=20, scale=2), server_default="0", nullable=False),
    )
    # every order: derived again by the next catch-up (statistics), profiles recomputed (buyers)
    op.execute("INSERT INTO stats_dirty (shop_id, order_no) SELECT shop_id, order_no FROM orders ORDER BY id")
    op.execute("INSERT INTO buyer_dirty (shop_id, order_no) SELECT shop_id, order_no FROM orders ORDER BY id")


def downgrade() -> None:
    op.drop_table("stats_carrier_damage")
    with op.batch_alter_table("stats_case_facts") as batch:
        batch.drop_column("carrier")
    with op.batch_alter_table("stats_order_facts") as batch:
        batch.drop_column("at")
    op.drop_table("stats_dirty")
    op.drop_table("buyer_dirty")
