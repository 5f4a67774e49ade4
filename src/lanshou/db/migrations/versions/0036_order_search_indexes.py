"""orders, order_lines: the indexes the orders search box looks up (lanshou.orders.search)

Staff find an order by its receiver's phone (whole, or the last 4 digits a buyer reads out), the receiver's
name or a SKU as often as by its number. No index held any of them, so each search read every order (or
every line). Three B-trees, each serving one kind of search:

- ix_orders_phone_tail: the phone's last 4 digits, an expression written alike for SQLite and PostgreSQL
  (substr/length); a whole number is found through its tail, then compared;
- ix_orders_receiver_name: the receiver's name, whole;
- ix_order_lines_sku: a SKU, whole or its first characters.

Order and tracking numbers need none: the (shop_id, order_no) and parcel_orders keys serve them.
Independent of every other revision: it only adds indexes to orders and order_lines.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

PHONE_TAIL = sa.text("substr(receiver_phone, length(receiver_phone) - 3)")


def upgrade() -> None:
    op.create_index("ix_orders_phone_tail", "orders", [PHONE_TAIL])
    op.create_index("ix_orders_receiver_name", "orders", ["receiver_name"])
    op.create_index("ix_order_lines_sku", "order_lines", ["sku"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.drop_index("ix_orders_receiver_name", table_name="orders")
    op.drop_index("ix_orders_phone_tail", table_name="orders")
