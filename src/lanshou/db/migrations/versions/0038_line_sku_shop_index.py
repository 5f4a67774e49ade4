"""order_lines: the SKU index leads with the shop, so a shop's SKUs are found without reading its lines

The stock pages show a user granted some shops only the SKUs those shops sell (lanshou.inventory.scope),
found from the shops' order lines. With the SKU index on `sku` alone, that look-up read every line of the
user's shops on each request (3.4 s at 3,000,000 lines, measured). On (shop_id, sku) it walks each shop's
distinct SKUs, one seek a SKU (33 ms for the same lines), whatever other shops sell. The orders search
finds a SKU, whole or by its first characters, as a range in each shop (it names the shops, as the search
by order number does). The same number of B-trees as before, so an import writes no more.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.create_index("ix_order_lines_sku", "order_lines", ["shop_id", "sku"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_sku", table_name="order_lines")
    op.create_index("ix_order_lines_sku", "order_lines", ["sku"])
