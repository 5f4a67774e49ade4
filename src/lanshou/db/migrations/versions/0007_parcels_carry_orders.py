"""parcels carry orders: a link table for merged and split shipments; append-only dirty marks

- `parcel_orders (tracking_no, shop_id, order_no)`: which orders a parcel carries (合并发货 puts several
  orders in one parcel, 拆单 one order in several). Each stored parcel becomes one link; `parcels` keeps
  the physical parcel only, unique by (shop, tracking number).
- `metric_parcels` is keyed by (shop, tracking number): a parcel counts once per shop.
- `metric_dirty` becomes `metric_dirty_orders` (append-only marks with an id, so a refresh deletes only
  the marks it read) and `metric_dirty_tracking` (marks by tracking number, resolved to orders by the
  refresh under its lock).

Every derived row stays valid (each parcel carried exactly one order before), so no rebuild is needed.
The downgrade keeps one order per tracking number (the paid one with the smallest number, under which
the metrics count the parcel, so its derived row stays valid) and marks the orders that lose a parcel, so
the old code re-derives them. A tracking number in two shops cannot be kept in both: then every derived
row and rollup is cleared and every order marked.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLLUPS = (
    "rollup_pickup",
    "rollup_promise",
    "rollup_feedback",
    "rollup_delivery",
    "rollup_delivery_carrier",
    "rollup_delivery_province",
    "rollup_freshness",
)


def upgrade() -> None:
    op.create_table(
        "parcel_orders",
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_parcel_orders_shop_id_shops")),
        sa.PrimaryKeyConstraint("tracking_no", "shop_id", "order_no", name=op.f("pk_parcel_orders")),
    )
    op.create_index("ix_parcel_orders_order", "parcel_orders", ["shop_id", "order_no"], unique=False)
    op.execute(
        "INSERT INTO parcel_orders (tracking_no, shop_id, order_no) "
        "SELECT tracking_no, shop_id, order_no FROM parcels"
    )
    with op.batch_alter_table("parcels") as batch_op:
        batch_op.drop_index("ix_parcels_order")
        batch_op.drop_constraint("uq_parcels_tracking_no", type_="unique")
        batch_op.drop_column("order_no")
        batch_op.create_unique_constraint("uq_parcels_shop_id", ["shop_id", "tracking_no"])

    with op.batch_alter_table("metric_parcels") as batch_op:
        batch_op.drop_constraint("pk_metric_parcels", type_="primary")
        batch_op.create_primary_key("pk_metric_parcels", ["shop_id", "tracking_no"])

    op.create_table(
        "metric_dirty_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_dirty_orders")),
    )
    op.create_index("ix_metric_dirty_orders_order", "metric_dirty_orders", ["shop_id", "order_no"])
    op.create_table(
        "metric_dirty_tracking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_dirty_tracking")),
    )
    op.create_index("ix_metric_dirty_tracking_number", "metric_dirty_tracking", ["tracking_no"])
    op.execute(
        "INSERT INTO metric_dirty_orders (shop_id, order_no) SELECT shop_id, order_no FROM metric_dirty"
    )
    op.drop_table("metric_dirty")


def downgrade() -> None:
    # one order per tracking number: the paid one with the smallest number (the one the metrics count the
    # parcel under, so its derived row stays right), else the smallest number
    op.add_column("parcels", sa.Column("order_no", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE parcels SET order_no = ("
        " SELECT l.order_no FROM parcel_orders l"
        " JOIN orders o ON o.shop_id = l.shop_id AND o.order_no = l.order_no"
        " WHERE l.shop_id = parcels.shop_id AND l.tracking_no = parcels.tracking_no"
        " ORDER BY CASE WHEN o.paid_at IS NULL THEN 1 ELSE 0 END, l.order_no LIMIT 1)"
    )
    in_two_shops = op.get_bind().execute(
        sa.text("SELECT tracking_no FROM parcels GROUP BY tracking_no HAVING COUNT(*) > 1 LIMIT 1")
    )
    op.create_table(
        "metric_dirty",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", "order_no", name=op.f("pk_metric_dirty")),
    )
    if in_two_shops.first() is None:
        # the orders that lose a parcel are derived again (exact deltas: their old rows are still counted)
        op.execute(
            "INSERT INTO metric_dirty (shop_id, order_no)"
            " SELECT shop_id, order_no FROM metric_dirty_orders"
            " UNION SELECT l.shop_id, l.order_no FROM parcel_orders l WHERE NOT EXISTS ("
            "  SELECT 1 FROM parcels p WHERE p.shop_id = l.shop_id AND p.tracking_no = l.tracking_no"
            "  AND p.order_no = l.order_no)"
        )
    else:  # a parcel counted in two shops has no place in the old rows: derive everything again
        for table in ("metric_orders", "metric_parcels", *ROLLUPS):
            op.execute(f"DELETE FROM {table}")
        op.execute("INSERT INTO metric_dirty (shop_id, order_no) SELECT shop_id, order_no FROM orders")
    op.drop_table("metric_dirty_tracking")
    op.drop_table("metric_dirty_orders")
    with op.batch_alter_table("metric_parcels") as batch_op:
        batch_op.drop_constraint("pk_metric_parcels", type_="primary")
        batch_op.create_primary_key("pk_metric_parcels", ["tracking_no"])

    # a parcel no stored order carries, or the same number in a second shop, has no place in the old model
    op.execute(
        "DELETE FROM parcels WHERE order_no IS NULL"
        " OR id > (SELECT MIN(p.id) FROM parcels p WHERE p.tracking_no = parcels.tracking_no)"
    )
    with op.batch_alter_table("parcels") as batch_op:
        batch_op.alter_column("order_no", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_parcels_shop_id", type_="unique")
        batch_op.create_unique_constraint("uq_parcels_tracking_no", ["tracking_no"])
        batch_op.create_index("ix_parcels_order", ["shop_id", "order_no"], unique=False)
    op.drop_index("ix_parcel_orders_order", table_name="parcel_orders")
    op.drop_table("parcel_orders")
