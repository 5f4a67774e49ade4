"""parcel_state: the alert scan's indexes hold only the parcels that have the value they range over

A parcel's state row is written when its order is imported, before any carrier event: every time, status and
delivery column is NULL then, and stays so until the first scan. The four indexes the alert scan and the
delivery reports read (`finished, last_event_at`, `finished, late_after`, `status, status_at`,
`delivered_at`) each took that row anyway, though every query on them compares the column (a comparison is
never true of NULL). As partial indexes `WHERE column IS NOT NULL` they skip it: an order import writes two
of parcel_state's seven B-trees instead of six, and both databases still pick them, since a comparison on
the column implies the predicate.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

# (index, its columns, the column a row needs for it to be indexed)
PARTIAL = (
    ("ix_parcel_state_silent", ["finished", "last_event_at"], "last_event_at"),
    ("ix_parcel_state_late", ["finished", "late_after"], "late_after"),
    ("ix_parcel_state_status", ["status", "status_at"], "status"),
    ("ix_parcel_state_delivered", ["delivered_at"], "delivered_at"),
)


def upgrade() -> None:
    for name, columns, needed in PARTIAL:
        op.drop_index(name, table_name="parcel_state")
        where = sa.text(f"{needed} IS NOT NULL")
        op.create_index(name, "parcel_state", columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, columns, _ in PARTIAL:
        op.drop_index(name, table_name="parcel_state")
        op.create_index(name, "parcel_state", columns)
