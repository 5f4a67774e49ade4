"""Dialect-aware bulk writes: one statement per batch, never one ORM object per row.

On SQLite the statement is compiled once and handed to the driver's executemany with plain tuples: the
per-row parameter processing of SQLAlchemy costs more than the insert itself (measured 2×). Values are
adapted exactly as SQLAlchemy stores them, so Core and ORM reads see the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Numeric, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect


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
    stmt = _upsert_statement(conn.dialect.name, table, tuple(keys), tuple(update))
    _execute_many(conn, stmt, rows)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        _execute_many(conn, _insert_statement(table), rows)


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows were new."""
    if not rows:
        return 0
    stmt = _upsert_statement(conn.dialect.name, table, tuple(keys), ())
    if conn.dialect.name == "postgresql":
        # psycopg reports -1 for batched inserts, so count the rows RETURNING gives back
        return len(conn.execute(stmt.returning(table.c[keys[0]]), list(rows)).all())
    return _execute_many(conn, stmt, rows)


@lru_cache(maxsize=64)
def _insert_statement(table: Table) -> Any:
    return table.insert()


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: Table, keys: tuple[str, ...], update: tuple[str, ...]) -> Any:
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported databases
        raise NotImplementedError(f"bulk upsert on {dialect}")
    if update:
        return stmt.on_conflict_do_update(
            index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
        )
    return stmt.on_conflict_do_nothing(index_elements=list(keys))


def _execute_many(conn: Connection, stmt: Any, rows: Sequence[dict[str, Any]]) -> int:
    if conn.dialect.name != "sqlite":
        return int(conn.execute(stmt, list(rows)).rowcount)
    sql, order, adapt = _compiled(stmt, conn.dialect, tuple(rows[0]))
    pick = itemgetter(*order)
    if len(order) == 1:
        params: list[Any] = [(_sqlite_value(pick(row)),) for row in rows]
    elif not adapt:
        params = [pick(row) for row in rows]
    else:
        params = [_adapted(pick(row), adapt) for row in rows]
    return int(conn.exec_driver_sql(sql, params).rowcount)


def _adapted(values: tuple[Any, ...], converters: list[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    out = list(values)
    for i, convert in converters:
        value = out[i]
        if value is not None:
            out[i] = convert(value)
    return tuple(out)


def _datetime_text(value: datetime) -> str:
    return value.isoformat(" ", "microseconds")  # SQLAlchemy's SQLite DateTime storage format


def _converter(column_type: Any) -> Callable[[Any], Any]:
    if isinstance(column_type, DateTime):
        return _datetime_text
    if isinstance(column_type, Date):
        return date.isoformat
    return str  # Numeric: Decimal as text; the column's numeric affinity stores it as a number


@lru_cache(maxsize=256)
def _compiled(
    stmt: Any, dialect: Dialect, columns: tuple[str, ...]
) -> tuple[str, tuple[str, ...], list[tuple[int, Callable[[Any], Any]]]]:
    """SQL text, the parameter order, and a converter for each position whose column type needs one."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ())
    types = {c.name: c.type for c in stmt.table.columns}
    adapt = [
        (i, _converter(types[name]))
        for i, name in enumerate(order)
        if isinstance(types[name], (Date, DateTime, Numeric))
    ]
    return str(compiled), order, adapt


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(" ", "microseconds")  # SQLAlchemy's SQLite DateTime storage format
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
