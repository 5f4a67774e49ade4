"""fulfilment: inventory (warehouses, stock, SKU mappings, reservations, stock ledger), the rule store,
review state and the blacklist

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_blacklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('buyer','phone','address')", name=op.f("ck_review_blacklist_blacklist_kind_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_blacklist")),
        sa.UniqueConstraint("kind", "value", name=op.f("uq_review_blacklist_kind")),
    )
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("shop_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "scope IN ('review','priority','carrier','notify')", name=op.f("ck_rules_scope_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_rules_name")),
    )
    op.create_table(
        "sku_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("platform_sku", sa.String(length=128), nullable=False),
        sa.Column("stock_sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sku_mappings_mapping_quantity_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_mappings")),
        sa.UniqueConstraint("shop_id", "platform_sku", "stock_sku", name=op.f("uq_sku_mappings_shop_id")),
    )
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("rank", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouses_code")),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "state IN ('reserved','released','deducted')",
            name=op.f("ck_reservations_reservation_state_known"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservations_reservation_quantity_positive")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_reservations_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_reservations_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index("ix_reservations_order", "reservations", ["shop_id", "order_no"], unique=False)
    op.create_table(
        "review_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.Text(), server_default="", nullable=False),
        sa.Column("stock_only", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tags", sa.Text(), server_default="", nullable=False),
        sa.Column("warehouse", sa.String(length=32), server_default="", nullable=False),
        sa.Column("pickup_deadline", sa.DateTime(), nullable=True),
        sa.Column("ship_by", sa.DateTime(), nullable=True),
        sa.Column("merge_group", sa.String(length=100), server_default="", nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="system", nullable=False),
        sa.CheckConstraint(
            "state IN ('accepted','held','cancelled')", name=op.f("ck_review_state_review_state_known")
        ),
        sa.CheckConstraint("priority BETWEEN 0 AND 9", name=op.f("ck_review_state_priority_range")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_review_state_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_state")),
        sa.UniqueConstraint("shop_id", "order_no", name=op.f("uq_review_state_shop_id")),
    )
    op.create_index("ix_review_state_state", "review_state", ["state", "priority"], unique=False)
    op.create_table(
        "stock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reserved", sa.Integer(), server_default="0", nullable=False),
        sa.Column("safety_stock", sa.Integer(), server_default="0", nullable=False),
        sa.Column("location", sa.String(length=64), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_on_hand_not_negative")),
        sa.CheckConstraint("reserved <= on_hand", name=op.f("ck_stock_reserved_within_on_hand")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_stock_reserved_not_negative")),
        sa.CheckConstraint("safety_stock >= 0", name=op.f("ck_stock_safety_not_negative")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock")),
        sa.UniqueConstraint("sku", "warehouse_id", name=op.f("uq_stock_sku")),
    )
    op.create_table(
        "stock_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reserved_delta", sa.Integer(), server_default="0", nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("order_no", sa.String(length=64), server_default="", nullable=False),
        sa.Column("actor", sa.String(length=64), server_default="system", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_ledger_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger")),
    )
    op.create_index("ix_stock_ledger_sku", "stock_ledger", ["sku", "warehouse_id"], unique=False)
    op.create_index("ix_orders_buyer_key", "orders", ["buyer_key"], unique=False)
    op.create_index("ix_orders_status", "orders", ["status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_orders_status", table_name="orders")
    op.drop_index("ix_orders_buyer_key", table_name="orders")
    op.drop_index("ix_stock_ledger_sku", table_name="stock_ledger")
    op.drop_table("stock_ledger")
    op.drop_table("stock")
    op.drop_index("ix_review_state_state", table_name="review_state")
    op.drop_table("review_state")
    op.drop_index("ix_reservations_order", table_name="reservations")
    op.drop_table("reservations")
    op.drop_table("warehouses")
    op.drop_table("sku_mappings")
    op.drop_table("rules")
    op.drop_table("review_blacklist")
