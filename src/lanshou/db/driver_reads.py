"""Reads that skip SQLAlchemy's per-row work: `fetch_all` for the API's hot one-statement reads, `tuples`
for the bulk reads of a batch.

`fetch_all`: the rows of a prepared one-statement read, run on PostgreSQL by the driver directly.

For the reads of the API's hot path (a token check, one order by number) SQLAlchemy's execution (its
execution context, parameter and result processing) cost more CPU than the statement itself. On PostgreSQL
the statement is compiled once to the driver's SQL and run on psycopg's cursor as a server-side prepared
statement; rows come back as named tuples with the statement's column names, and the values are psycopg's
own (the same types SQLAlchemy's psycopg dialect returns: no type in these statements needs processing).
Elsewhere (SQLite) it is `conn.execute(statement, params).all()`.

`tuples`: a batch's read (thousands of rows: a refresh reads every carrier event of 2,000 orders) runs
through SQLAlchemy as usual and its rows are taken from the driver's cursor as plain tuples: a Row object
and SQLAlchemy's processing of each value cost more than the read (measured on SQLite, 300,000 events
with a time each: 0.79 s as Rows, 0.30 s as tuples with the times parsed here). psycopg returns every
type as SQLAlchemy would; SQLite returns times, days and booleans as stored (text, 0/1), parsed here as
SQLAlchemy's SQLite types do; a read selecting any other type that SQLAlchemy processes is refused.

Driver errors are SQLAlchemy's (`DBAPIError`, with `connection_invalidated` set when `fetch_all`'s
connection is gone), as if SQLAlchemy had run the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Boolean, Connection, Date, DateTime, Dialect, Enum, Float, Integer, String
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Select

_COMPILED: dict[tuple[int, str], tuple[Select[Any], str, dict[str, Any]]] = {}


def fetch_all(conn: Connection, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Any]:
    """All rows of `statement` (built once and kept: compiled once per dialect) with these parameters."""
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, dict(params)).all()
    import psycopg  # here: a command on SQLite starts without the driver (a tenth of a second)
    from psycopg.rows import namedtuple_row

    sql, defaults = _compiled(statement, conn.dialect, params)
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.cursor(row_factory=namedtuple_row) as cur:
            cur.execute(sql, {**defaults, **params}, prepare=True)
            return cur.fetchall()
    except psycopg.Error as exc:
        gone = driver.broken or driver.closed
        if gone:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=gone) from exc


def _compiled(
    statement: Select[Any], dialect: Dialect, params: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    key = (id(statement), dialect.name)
    kept = _COMPILED.get(key)
    if kept is None or kept[0] is not statement:
        compiled = statement.compile(dialect=dialect)
        # literal parameters (string_agg's separators) rendered into the text: only named ones remain; the
        # text does not depend on the values (the statements kept here have no expanding IN)
        expanded = compiled.construct_expanded_state(dict(params))
        assert "POSTCOMPILE" not in expanded.statement
        defaults = {k: v for k, v in expanded.parameters.items() if k not in params}
        kept = _COMPILED[key] = (statement, expanded.statement, defaults)
    return kept[1], kept[2]


def tuples(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of `query` as a plain tuple, with the values SQLAlchemy would have returned."""
    parsers = _sqlite_parsers(query)  # checked on every database: a read refused is refused everywhere
    if _streamed(conn, query):  # SQLAlchemy reads ahead from a streaming cursor: its rows, as tuples
        return [tuple(row) for row in conn.execute(query)]
    rows = driver_rows(conn, query)
    if not rows or not parsers or conn.dialect.name != "sqlite":
        return rows
    return converted(rows, parsers)


def converted(
    rows: list[tuple[Any, ...]], converters: Sequence[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    """The rows with the value at each index converted (None stays None), a column at a time."""
    columns: list[Any] = list(zip(*rows, strict=True))
    for i, convert in converters:
        columns[i] = [None if value is None else convert(value) for value in columns[i]]
    return list(zip(*columns, strict=True))


def driver_rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of `query` as the driver returns it, run through SQLAlchemy (its errors are SQLAlchemy's):
    on SQLite times, days, booleans and numbers come as stored. Not for a streaming query."""
    result = conn.execute(query)
    driver_error = conn.dialect.loaded_dbapi.Error
    try:
        rows = cast(list[tuple[Any, ...]], result.cursor.fetchall())  # the DBAPI cursor's own rows
    except driver_error as exc:  # SQLite steps through the rows here: its errors as SQLAlchemy's
        raise DBAPIError.instance(None, None, exc, driver_error) from exc
    finally:
        result.close()
    return rows


def _streamed(conn: Connection, query: Select[Any]) -> bool:
    options = {**conn.get_execution_options(), **query.get_execution_options()}
    return bool(options.get("stream_results") or options.get("yield_per"))


def _decimal(kind: Any) -> bool:
    return isinstance(kind, Float) and bool(kind.asdecimal)


def _sqlite_parsers(query: Select[Any]) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(index, parse) of each selected column whose stored SQLite value SQLAlchemy would convert."""
    parsers: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(query.selected_columns):
        kind = column.type
        if isinstance(kind, DateTime):
            parsers.append((i, datetime.fromisoformat))
        elif isinstance(kind, Date):
            parsers.append((i, date.fromisoformat))
        elif isinstance(kind, Boolean):
            parsers.append((i, bool))  # stored 0 / 1
        elif isinstance(kind, Enum) or not isinstance(kind, String | Integer | Float) or _decimal(kind):
            raise TypeError(f"tuples() does not parse {kind!r} ({column}): read it with conn.execute")
    return tuple(parsers)
