"""orders get their destination country and the seller's remark (卖家备注); orders can be split into several
shipments (拆单): which part each line travels in (shipment_parts), the waybill of each part
(shipment_waybills.part joins the key) and what each part reserved (reservations.part)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=64), server_default="", nullable=False))
        batch_op.add_column(sa.Column("seller_remark", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "shipment_parts",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("line_key", sa.String(length=128), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("split_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="system", nullable=False),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("part >= 1", name=op.f("ck_shipment_parts_shipment_part_positive")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipment_parts_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "order_no", "line_key", name=op.f("pk_shipment_parts")),
    )
    with op.batch_alter_table("shipment_waybills") as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint("pk_shipment_waybills", type_="primary")
        batch_op.create_primary_key("pk_shipment_waybills", ["shop_id", "order_no", "part"])
    with op.batch_alter_table("reservations") as batch_op:
        batch_op.add_column(sa.Column("part", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch_op:
        batch_op.drop_column("part")
    op.execute("DELETE FROM shipment_waybills WHERE part <> 0")
    with op.batch_alter_table("shipment_waybills") as batch_op:
        batch_op.drop_constraint("pk_shipment_waybills", type_="primary")
        batch_op.create_primary_key("pk_shipment_waybills", ["shop_id", "order_no"])
        batch_op.drop_column("part")
    op.drop_table("shipment_parts")
    with op.batch_alter_table("orders") as batch_op:
        batch_op.drop_column("seller_remark")
        batch_op.drop_column("country")
