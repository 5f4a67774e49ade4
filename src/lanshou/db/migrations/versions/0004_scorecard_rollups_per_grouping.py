"""scorecard rollups per grouping: rollup_delivery_carrier and rollup_delivery_province

They replace rollup_delivery_groups (keyed by carrier and province together), from whose rows they are
summed, so a database upgraded in place needs no rebuild.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GROUPINGS = ("carrier", "province")


def upgrade() -> None:
    for column in GROUPINGS:
        table = f"rollup_delivery_{column}"
        op.create_table(
            table,
            sa.Column("shop_id", sa.Integer(), nullable=False),
            sa.Column("delivered_day", sa.Date(), nullable=False),
            sa.Column(column, sa.String(length=64), nullable=False),
            sa.Column("returned_eday", sa.Date(), nullable=False),
            sa.Column("n", sa.Integer(), nullable=False),
            sa.Column("sum_s", sa.Float(), server_default="0", nullable=False),
            sa.UniqueConstraint(
                "shop_id", "delivered_day", column, "returned_eday", name=op.f(f"uq_{table}_shop_id")
            ),
        )
        keys = f"shop_id, delivered_day, {column}, returned_eday"
        op.execute(
            f"INSERT INTO {table} ({keys}, n, sum_s) "
            f"SELECT {keys}, SUM(n), SUM(sum_s) FROM rollup_delivery_groups GROUP BY {keys}"
        )
    op.drop_table("rollup_delivery_groups")


def downgrade() -> None:
    op.create_table(
        "rollup_delivery_groups",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("delivered_day", sa.Date(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("returned_eday", sa.Date(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sum_s", sa.Float(), server_default="0", nullable=False),
        sa.UniqueConstraint(
            "shop_id",
            "delivered_day",
            "carrier",
            "province",
            "returned_eday",
            name=op.f("uq_rollup_delivery_groups_shop_id"),
        ),
    )
    # the pair cannot be summed back from the two groupings: re-derive it from the delivered parcels,
    # as the rollups count them (picked-up, delivered parcels of paid orders: those metric_parcels holds)
    keys = "shop_id, delivered_day, carrier, province, returned_eday"
    op.execute(
        f"INSERT INTO rollup_delivery_groups ({keys}, n, sum_s) "
        f"SELECT {keys}, COUNT(*), SUM(duration_s) FROM metric_parcels "
        "WHERE pickup_day IS NOT NULL AND delivered_day IS NOT NULL "
        f"GROUP BY {keys}"
    )
    for column in GROUPINGS:
        op.drop_table(f"rollup_delivery_{column}")
