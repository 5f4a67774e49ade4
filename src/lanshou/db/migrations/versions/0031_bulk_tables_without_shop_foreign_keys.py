"""the bulk tables name their shop without a FOREIGN KEY (orders, order_lines, order_events, parcels,
parcel_orders, feedback)

PostgreSQL checks a foreign key with a trigger per inserted row (a `SELECT … FOR KEY SHARE` on shops): on
this kind of machine that doubled the cost of inserting a row (200k rows: 1.20 s with the key, 0.63 s
without), and these six tables take every row an import or a batch ingest writes. Measured end to end
(bench/import, 100k order lines into PostgreSQL): the import step 4.4 -> 3.7 s. What the key guarded
against cannot happen in Lanshou: a shop is never deleted, and every writer takes its shop ids from the
shops table in the same transaction (lanshou.shops.store.ShopDirectory). The smaller tables keep theirs.

SQLite cannot drop a constraint in place: each table is copied into one without it (alembic's batch mode),
once; on a large database this upgrade takes a while (about as long as copying those tables).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01 16:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

BULK_TABLES = ("orders", "order_lines", "order_events", "parcels", "parcel_orders", "feedback")


def _name(table: str) -> str:
    return f"fk_{table}_shop_id_shops"  # the naming convention's (lanshou.db.metadata)


def upgrade() -> None:
    for table in BULK_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_name(table), type_="foreignkey")


def downgrade() -> None:
    for table in BULK_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(_name(table), "shops", ["shop_id"], ["id"])
