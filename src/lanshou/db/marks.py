"""Append-only dirty marks, and catching up on them: the pattern that keeps derived tables exact.

A writer marks the keys it changed inside its own transaction (so a crash never loses a mark); after it
commits, `catch_up` takes the oldest marks a batch at a time, under the derived table's lock, refreshes
their keys and deletes exactly the marks it read (a mark added meanwhile stays for the next batch). A
process killed before its catch-up leaves its marks for the next writer or reader to finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Column, Connection, Engine, Integer, String, Table, delete, func, select

from lanshou.db.bulk import insert_rows
from lanshou.db.engine import lock_exclusively, run_transaction
from lanshou.db.metadata import metadata
from lanshou.gc_pause import gc_paused

BATCH = 2000
Key = tuple[int, str]  # (shop id, order number)


def marks_table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("shop_id", Integer, nullable=False),
        Column("order_no", String(64), nullable=False),
    )


def mark(conn: Connection, table: Table, keys: Iterable[Key]) -> None:
    """Mark these keys (each once, in the order given: catching up sorts what it takes)."""
    insert_rows(conn, table, list(dict.fromkeys(keys)), ("shop_id", "order_no"))


def pending(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def catch_up(
    engine: Engine,
    table: Table,
    lock: str,
    refresh: Callable[[Connection, list[Key]], Any],
    batch: int = BATCH,
) -> int:
    """Refresh every marked key, oldest marks first; returns how many marks were handled."""
    handled = 0
    while True:
        with gc_paused():
            done = run_transaction(engine, lambda conn: _one_batch(conn, table, lock, refresh, batch))
        if not done:
            return handled
        handled += done


def catch_up_here(
    conn: Connection,
    table: Table,
    lock: str,
    refresh: Callable[[Connection, list[Key]], Any],
    batch: int = BATCH,
) -> int:
    """The same inside the caller's transaction: for a reader that must see every mark handled but holds
    a transaction already (it commits or rolls back with the caller's work)."""
    handled = 0
    while done := _one_batch(conn, table, lock, refresh, batch):
        handled += done
    return handled


def _one_batch(
    conn: Connection, table: Table, lock: str, refresh: Callable[[Connection, list[Key]], Any], batch: int
) -> int:
    lock_exclusively(conn, lock)
    rows = conn.execute(
        select(table.c.id, table.c.shop_id, table.c.order_no).order_by(table.c.id).limit(batch)
    ).all()
    if rows:
        refresh(conn, sorted({(row.shop_id, row.order_no) for row in rows}))
        conn.execute(delete(table).where(table.c.id.in_([row.id for row in rows])))
    return len(rows)
