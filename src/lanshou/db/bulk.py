"""Dialect-aware bulk upserts: one statement per batch, never one ORM object per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE the `update` columns (or DO NOTHING when none)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"bulk upsert on {dialect}")
    if update:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={col: stmt.excluded[col] for col in update}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(stmt, list(rows))


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(table.insert(), list(rows))


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were new."""
    if not rows:
        return 0
    if conn.dialect.name == "postgresql":
        # psycopg reports -1 for batched inserts, so count the rows RETURNING gives back
        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
        return len(conn.execute(stmt.returning(table.c[keys[0]]), list(rows)).all())
    stmt_lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    return int(conn.execute(stmt_lite, list(rows)).rowcount)
