"""metric marks: ids never reused on SQLite (AUTOINCREMENT), as on PostgreSQL (a sequence)

A rowid table gives a new row max(id) + 1, so once the newest marks are deleted (a refresh took them, a
rebuild cleared them all) their ids come back for other orders. The two-process refresh (lanshou.metrics.
rollups) recognises the marks a snapshot saw by id: a reused id would pass for a mark still there.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01 06:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

MARKS = ("metric_dirty_orders", "metric_dirty_tracking")


def upgrade() -> None:
    _recreate(autoincrement=True)


def downgrade() -> None:
    _recreate(autoincrement=False)


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL's serial ids come from a sequence: never reused
    for name in MARKS:  # copied into a new table (keeping ids and indexes), SQLite's way to change one
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
