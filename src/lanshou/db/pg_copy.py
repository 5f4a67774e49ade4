"""PostgreSQL bulk writes through COPY: straight into a table, or into a staging table merged with one
set-based INSERT … SELECT … ON CONFLICT. Per-row statements (even pipelined executemany) cost several times
more than COPY on PostgreSQL (bench/import), so every bulk path of lanshou.db.bulk comes here for batches.

A staging table holds only the batch's columns (no constraints) and lives as long as the connection (TEMP …
ON COMMIT DELETE ROWS); it is (re)declared with IF NOT EXISTS each time, so a rolled-back transaction that
created it cannot leave a stale belief that it exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

COPY_MIN_ROWS = 50  # below this, creating and filling a staging table costs more than plain statements


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_tuples(rows: Sequence[Any], columns: Sequence[str]) -> Iterable[Sequence[Any]]:
    if rows and isinstance(rows[0], Mapping):
        return ([row[c] for c in columns] for row in rows)
    return rows


def _copy(conn: Connection, target: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(_quoted(c) for c in columns)
    with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_into(conn: Connection, table: Table, rows: Sequence[Any], columns: Sequence[str]) -> None:
    """COPY rows (tuples in `columns` order, or dicts) straight into the table (a plain INSERT)."""
    _copy(conn, _quoted(table.name), columns, _as_tuples(rows, columns))


def merge(
    conn: Connection,
    table: Table,
    rows: Sequence[Any],
    columns: Sequence[str],
    keys: Sequence[str],
    update: Sequence[str] = (),
) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE `update` (DO NOTHING when empty), set-based through a staging
    table. Several rows with one key act as one statement per row would: with an update the last one wins,
    without one the first. Returns how many rows were inserted or updated."""
    positions = [columns.index(k) for k in keys]
    last: dict[tuple[Any, ...], Sequence[Any]] = {}
    for row in _as_tuples(rows, columns):
        key = tuple(row[p] for p in positions)
        if update or key not in last:
            last[key] = row
    stage = _staging(conn, table, columns)
    _copy(conn, stage, columns, last.values())
    names = ", ".join(_quoted(c) for c in columns)
    conflict = ", ".join(_quoted(k) for k in keys)
    if update:
        sets = ", ".join(f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in update)
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    target = _quoted(table.name)
    sql = f"INSERT INTO {target} ({names}) SELECT {names} FROM {stage} ON CONFLICT ({conflict}) {action}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql)
    count = cursor.rowcount
    cursor.execute(f"TRUNCATE {stage}")  # the next batch of this transaction starts empty
    return int(count)


def _staging(conn: Connection, table: Table, columns: Sequence[str]) -> str:
    digest = hashlib.blake2s(",".join(columns).encode(), digest_size=4).hexdigest()
    name = _quoted(f"stage_{table.name}_{digest}")
    names = ", ".join(_quoted(c) for c in columns)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS AS "
        f"SELECT {names} FROM {_quoted(table.name)} WITH NO DATA"
    )
    return name
