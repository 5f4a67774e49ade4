"""shipping: the waybill number pool, the waybill each shipment holds, the carrier configuration

- `waybill_numbers`: merchant-loaded numbers per carrier (available / used / cancelled), claimed by a
  conditional UPDATE; a used number names its holder (shop id:order no).
- `shipment_waybills`: the waybill a shipment took, written before its label is printed, so a run that
  stops is finished by the next without a second number.
- `carrier_configs`: the carrier configuration (TOML) as loaded; the newest row is in force.
- `ship_leases`: one `lanshou ship` run at a time per shop (a lease that expires if its run dies).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waybill_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="available", nullable=False),
        sa.Column("holder", sa.String(length=160), nullable=True),
        sa.Column("source", sa.String(length=255), server_default="", nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('available','used','cancelled')", name=op.f("ck_waybill_numbers_waybill_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waybill_numbers")),
        sa.UniqueConstraint("carrier", "tracking_no", name=op.f("uq_waybill_numbers_carrier")),
    )
    op.create_index("ix_waybill_numbers_free", "waybill_numbers", ["carrier", "status", "id"], unique=False)
    op.create_index("ix_waybill_numbers_holder", "waybill_numbers", ["carrier", "holder"], unique=False)
    op.create_table(
        "shipment_waybills",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("order_nos", sa.Text(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=64), server_default="", nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("tracking_no", sa.String(length=64), nullable=False),
        sa.Column("sorting_code", sa.String(length=64), server_default="", nullable=False),
        sa.Column("provider_ref", sa.String(length=128), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("shipped_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_shipment_waybills_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", "order_no", name=op.f("pk_shipment_waybills")),
    )
    op.create_index(
        "ix_shipment_waybills_tracking", "shipment_waybills", ["carrier", "tracking_no"], unique=False
    )
    op.create_table(
        "carrier_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("loaded_from", sa.String(length=255), server_default="", nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_configs")),
    )
    op.create_table(
        "ship_leases",
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_ship_leases_shop_id_shops")),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_ship_leases")),
    )


def downgrade() -> None:
    op.drop_table("ship_leases")
    op.drop_table("carrier_configs")
    op.drop_index("ix_shipment_waybills_tracking", table_name="shipment_waybills")
    op.drop_table("shipment_waybills")
    op.drop_index("ix_waybill_numbers_holder", table_name="waybill_numbers")
    op.drop_index("ix_waybill_numbers_free", table_name="waybill_numbers")
    op.drop_table("waybill_numbers")
