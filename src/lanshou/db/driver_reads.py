"""`fetch_all`: the rows of a prepared one-statement read, run on PostgreSQL by the driver directly.

For the reads of the API's hot path (a token check, one order by number) SQLAlchemy's execution (its
execution context, parameter and result processing) cost more CPU than the statement itself. On PostgreSQL
the statement is compiled once to the driver's SQL and run on psycopg's cursor as a server-side prepared
statement; rows come back as named tuples with the statement's column names, and the values are psycopg's
own (the same types SQLAlchemy's psycopg dialect returns: no type in these statements needs processing).
Elsewhere (SQLite) it is `conn.execute(statement, params).all()`.

Driver errors are SQLAlchemy's (`DBAPIError`, with `connection_invalidated` set when the connection is
gone), as if SQLAlchemy had run the statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Select

_COMPILED: dict[tuple[int, str], tuple[Select[Any], str, dict[str, Any]]] = {}


def fetch_all(conn: Connection, statement: Select[Any], params: Mapping[str, Any]) -> Sequence[Any]:
    """All rows of `statement` (built once and kept: compiled once per dialect) with these parameters."""
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, dict(params)).all()
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
