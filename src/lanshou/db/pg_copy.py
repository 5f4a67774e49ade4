"""PostgreSQL bulk writes through COPY: straight into a table, or into a staging table merged with one
set-based INSERT … SELECT … ON CONFLICT. Per-row statements (even pipelined executemany) cost several times
more than COPY on PostgreSQL (bench/import), so every bulk path of lanshou.db.bulk comes here for batches.

A staging table holds only the batch's columns (no constraints) and lives as long as the connection (TEMP …
ON COMMIT DELETE ROWS); it is (re)declared with IF NOT EXISTS each time, so a rolled-back transaction that
created it cannot leave a stale belief that it exists.

A merge that only adds new rows (DO NOTHING) first COPYs the batch straight into the table, inside a
savepoint: a bulk import brings mostly new rows (a carrier's events, a first export), and the server then
skips the staging table and the conflict checks (618,000 events shaped as issue 9's into an empty
tracking_events, in psql: 9.5-13.0 s staged and merged, 5.9-7.4 s straight). A row already stored fails that
COPY at its unique index (the server logs that error); the savepoint is rolled back and the batch is merged
as before. After a failure the next STRAIGHT_AFTER_FAILURE batches into that table go to the merge
directly (a re-import of a file would otherwise send every batch twice).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table

COPY_MIN_ROWS = 50  # below this, creating and filling a staging table costs more than plain statements
STRAIGHT_AFTER_FAILURE = 8  # batches merged without trying a straight COPY after one found stored rows
_merges_before_straight: dict[str, int] = {}  # by table; a hint only (a race merely costs a try)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _as_tuples(rows: Sequence[Any], columns: Sequence[str]) -> Iterable[Sequence[Any]]:
    if rows and isinstance(rows[0], Mapping):
        if len(columns) == 1:
            return ((row[columns[0]],) for row in rows)
        return map(itemgetter(*columns), rows)
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
    add: Sequence[str] = (),
) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE `update` (DO NOTHING when empty), set-based through a staging
    table. Several rows with one key act as one statement per row would: with an update the last one wins,
    without one the first. `add` columns are added to the stored value instead (count deltas; rows must
    have unique keys then). A stored row that would not change is not written. Returns how many rows were
    inserted or updated."""
    tuples = list(_as_tuples(rows, columns))
    pick = itemgetter(*(columns.index(k) for k in keys))
    row_keys = [pick(row) for row in tuples]
    if len(set(row_keys)) != len(row_keys):  # repeated keys: keep one row per key, as said above
        chosen: dict[Any, Sequence[Any]] = {}
        for key, row in zip(row_keys, tuples, strict=True):
            if update or key not in chosen:
                chosen[key] = row
        tuples = list(chosen.values())
    if not update and not add and _copied_straight(conn, table, tuples, columns):
        return len(tuples)
    stage = _staging(conn, table, columns)
    _copy(conn, stage, columns, tuples)
    names = ", ".join(_quoted(c) for c in columns)
    conflict = ", ".join(_quoted(k) for k in keys)
    target = _quoted(table.name)
    sets = [f"{_quoted(c)} = EXCLUDED.{_quoted(c)}" for c in update]
    sets += [f"{_quoted(c)} = {target}.{_quoted(c)} + EXCLUDED.{_quoted(c)}" for c in add]
    # a row that would not change is left alone (no new row version, no index or WAL writes)
    changes = [f"{target}.{_quoted(c)} IS DISTINCT FROM EXCLUDED.{_quoted(c)}" for c in update]
    changes += [f"EXCLUDED.{_quoted(c)} <> 0" for c in add]
    action = f"DO UPDATE SET {', '.join(sets)} WHERE {' OR '.join(changes)}" if sets else "DO NOTHING"
    sql = f"INSERT INTO {target} ({names}) SELECT {names} FROM {stage} ON CONFLICT ({conflict}) {action}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(sql)
    count = cursor.rowcount
    cursor.execute(f"TRUNCATE {stage}")  # the next batch of this transaction starts empty
    return int(count)


def _copied_straight(conn: Connection, table: Table, rows: list[Any], columns: Sequence[str]) -> bool:
    """COPY rows of distinct keys straight into the table, all or none (a savepoint): False when one of
    them was stored already (or another transaction stored it meanwhile), and nothing was written."""
    import psycopg  # here: a command on SQLite starts without the driver

    waiting = _merges_before_straight.get(table.name, 0)
    if waiting:
        _merges_before_straight[table.name] = waiting - 1
        return False
    try:
        with conn.begin_nested():
            _copy(conn, _quoted(table.name), columns, rows)
    except psycopg.errors.UniqueViolation:
        _merges_before_straight[table.name] = STRAIGHT_AFTER_FAILURE
        return False
    return True


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
