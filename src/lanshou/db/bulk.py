"""Dialect-aware bulk writes: one statement per batch, never one ORM object per row.

Rows are dicts, or tuples in the order of a given `columns` list (the bulk import builds tuples: a dict
per row costs more than its insert). On SQLite the statement is compiled once and handed to the driver's
executemany: SQLAlchemy's per-row parameter processing costs more than the insert itself (measured 2×).
The driver adapts datetimes, dates, Decimals, bools and None through the adapters registered below to exactly
what SQLAlchemy stores, so Core and ORM reads see the same values.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Connection, Table, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from lanshou.db import pg_copy
from lanshou.db.driver_reads import tuples

Row = dict[str, Any] | tuple[Any, ...]


def time_text(value: datetime | None) -> str | None:
    """A time as SQLAlchemy's SQLite DateTime column stores it (bulk paths hand the driver this text)."""
    return None if value is None else value.isoformat(" ", "microseconds")


def as_time_text(stored: str) -> str | None:
    """A time SQLite kept as text, in time_text's form: as it is when it has that form already (26
    characters, a space after the day), as SQLAlchemy's SQLite DateTime writes it; any other text (written
    by hand) read as SQLAlchemy reads it, then written so."""
    if len(stored) == _TIME_TEXT_LENGTH and stored[10] == " ":
        return stored
    return time_text(datetime.fromisoformat(stored))


_TIME_TEXT_LENGTH = len("2026-12-01 09:30:00.000000")  # time_text's, of a naive time


class _DayTexts(dict[date, str]):
    """Days as ISO text, each formatted once: a batch's rows share few days (half the cost of binding one)."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


# Process-wide, for the sqlite3 driver only: SQLAlchemy's own binds of times, days and Decimals are already
# text by then, so these three reach only raw driver calls, which store what SQLAlchemy would (the stdlib
# default drops ".000000").
sqlite3.register_adapter(datetime, time_text)  # SQLAlchemy's SQLite DateTime storage format
sqlite3.register_adapter(date, _DayTexts().__getitem__)
sqlite3.register_adapter(Decimal, str)  # Numeric columns' numeric affinity stores it as a number
# The driver binds exact ints, floats, strs and bytes at once; anything else, None and bools included, goes
# through the registry above, and a type missing from it costs two failed attribute look-ups more (~1 us a
# value, twice a bound int; an orders import binds a million such values). Registered, it is one dict hit.
sqlite3.register_adapter(bool, int)  # stored as SQLAlchemy's Boolean stores it
sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))  # None back, in C: bound as NULL


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    update: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    add: Sequence[str] = (),
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE the `update` columns (or DO NOTHING when none); `add` columns
    are added to the stored values (counters moved by deltas: one row per key then). A stored row whose
    values are already those given (and whose deltas are all 0) is not written again."""
    if not rows:
        return
    if _copies(conn, rows):
        pg_copy.merge(conn, table, rows, _columns(rows, columns), keys, update, add)
        return
    stmt = _upsert_statement(conn.dialect.name, table, tuple(keys), tuple(update), tuple(add))
    _execute_many(conn, stmt, rows, columns)


def insert_rows(
    conn: Connection, table: Table, rows: Sequence[Row], columns: Sequence[str] | None = None
) -> None:
    if not rows:
        return
    if _copies(conn, rows):
        pg_copy.copy_into(conn, table, rows, _columns(rows, columns))
        return
    _execute_many(conn, _insert_statement(table), rows, columns)


def insert_new(
    conn: Connection,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    columns: Sequence[str] | None = None,
) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were new."""
    if not rows:
        return 0
    if _copies(conn, rows):
        return pg_copy.merge(conn, table, rows, _columns(rows, columns), keys)
    stmt = _upsert_statement(conn.dialect.name, table, tuple(keys), (), ())
    if conn.dialect.name == "postgresql":
        # psycopg reports -1 for batched inserts, so count the rows RETURNING gives back
        return len(conn.execute(stmt.returning(table.c[keys[0]]), _dicts(rows, columns)).all())
    return _execute_many(conn, stmt, rows, columns)


def insert_new_returning(
    conn: Connection,
    table: Table,
    rows: Sequence[Row],
    keys: Sequence[str],
    returning: Sequence[str],
    columns: Sequence[str] | None = None,
) -> list[tuple[Any, ...]] | None:
    """INSERT … ON CONFLICT DO NOTHING, as insert_new; returns the `returning` columns of the rows that were
    new, or None when every row given was. PostgreSQL's statement batches (a push, a poll) take them from
    RETURNING. Otherwise they are read back by id when only some were new (a file repeating an earlier
    one): the table's integer `id` is drawn in increasing order (the next rowid on SQLite, a sequence on
    PostgreSQL), so the rows inserted here have ids above the largest one before; on PostgreSQL rows that
    another transaction committed meanwhile can be among them."""
    if not rows:
        return []
    wanted = [table.c[name] for name in returning]
    if conn.dialect.name == "postgresql" and not _copies(conn, rows):
        stmt = _upsert_statement(conn.dialect.name, table, tuple(keys), (), ())
        found = [tuple(row) for row in conn.execute(stmt.returning(*wanted), _dicts(rows, columns))]
        return None if len(found) == len(rows) else found
    before = last_id(conn, table)
    new = insert_new(conn, table, rows, keys, columns)
    if new == len(rows):
        return None
    return tuples(conn, select(*wanted).where(table.c.id > before).order_by(table.c.id)) if new else []


def last_id(conn: Connection, table: Table) -> int:
    """The largest `id` stored in the table (0 when empty)."""
    return int(conn.execute(select(func.max(table.c.id))).scalar() or 0)


def _copies(conn: Connection, rows: Sequence[Row]) -> bool:
    """PostgreSQL batches go through COPY (lanshou.db.pg_copy); small ones and SQLite take statements."""
    return conn.dialect.name == "postgresql" and len(rows) >= pg_copy.COPY_MIN_ROWS


def _columns(rows: Sequence[Row], columns: Sequence[str] | None) -> Sequence[str]:
    return tuple(columns) if columns is not None else tuple(rows[0])


@lru_cache(maxsize=64)
def _insert_statement(table: Table) -> Any:
    return table.insert()


@lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...], add: tuple[str, ...]
) -> Any:
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"bulk upsert on {dialect}")
    if update or add:
        sets = {c: stmt.excluded[c] for c in update}
        sets.update({c: table.c[c] + stmt.excluded[c] for c in add})
        # a row that would not change is left alone (no new row version, no index or log writes): what a
        # re-import of the same file mostly brings
        changes = [table.c[c].is_distinct_from(stmt.excluded[c]) for c in update]
        changes += [stmt.excluded[c] != literal_column("0") for c in add]  # no bound parameter: see _compiled
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=sets, where=or_(*changes))
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def _execute_many(conn: Connection, stmt: Any, rows: Sequence[Row], columns: Sequence[str] | None) -> int:
    if conn.dialect.name != "sqlite":
        return int(conn.execute(stmt, _dicts(rows, columns)).rowcount)
    given = tuple(columns) if columns is not None else tuple(rows[0])
    sql, order = _compiled(stmt, conn.dialect, given)
    params: Sequence[Any]
    if columns is not None and order == given:
        params = rows  # tuples already in the statement's order
    else:
        keys: Sequence[Any] = order if columns is None else [given.index(name) for name in order]
        pick = itemgetter(*keys)
        params = [(pick(row),) for row in rows] if len(keys) == 1 else [pick(row) for row in rows]
    return int(conn.exec_driver_sql(sql, params).rowcount)


def _dicts(rows: Sequence[Row], columns: Sequence[str] | None) -> list[dict[str, Any]]:
    if columns is None:
        return list(rows)  # type: ignore[arg-type]
    return [dict(zip(columns, row, strict=True)) for row in rows]


@lru_cache(maxsize=256)
def _compiled(stmt: Any, dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """SQL text with positional parameters, and the order of the columns they take."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), tuple(compiled.positiontup or ())
