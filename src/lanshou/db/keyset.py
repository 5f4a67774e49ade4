"""A batch's keys as a table to join on, in one bound parameter: set-based look-ups instead of IN lists.

A look-up for a batch (the orders of 2,000 keys, the events of 5,000 tracking numbers) used to be chunks of
`col IN (…500 parameters…)`, per shop: on PostgreSQL each chunk is a round trip whose thousands of parameters
SQLAlchemy expands and psycopg parses in Python (measured: most of the refresh's client time), and the
server plans a 500-arm OR again each time. Here the keys travel as one value and the query joins on them:
- PostgreSQL: `unnest(string_to_array(:a, sep)::int[], …) AS k(shop_id, order_no)` (the planner knows the
  row count of a constant array, so it probes the key's index once per key, or hashes a small table);
- SQLite: `json_each(:json) AS k` with each column picked out of the JSON array (the virtual table drives the
  join and each key is one index search, checked with EXPLAIN QUERY PLAN).
Every key set is de-duplicated first, so a join never repeats a row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    FromClause,
    Integer,
    String,
    Text,
    bindparam,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any]]]
ORDER_KEY: Columns = (("shop_id", Integer()), ("order_no", String()))
PARCEL_KEY: Columns = (("shop_id", Integer()), ("tracking_no", String()))
TRACKING_NO: Columns = (("tracking_no", String()),)
IDS: Columns = (("id", Integer()),)


def keyset(conn: Connection, rows: Iterable[Sequence[Any]], columns: Columns, name: str = "k") -> FromClause:
    """A FROM item with the given columns holding these rows (tuples in `columns` order), each once."""
    unique = list(dict.fromkeys(map(tuple, rows)))  # in the order given: sorting 2,000 keys cost 1.6 ms
    if conn.dialect.name == "postgresql":
        return _unnest(unique, columns, name)
    rows_json = json.dumps(
        unique if len(columns) > 1 else [row[0] for row in unique], ensure_ascii=False, separators=(",", ":")
    )
    each = func.json_each(bindparam(f"{name}_json", rows_json)).table_valued("value").alias(f"{name}_each")
    if len(columns) == 1:
        column, kind = columns[0]
        return select(type_coerce(each.c.value, kind).label(column)).subquery(name)
    picked = [
        type_coerce(func.json_extract(each.c.value, f"$[{i}]"), kind).label(column)
        for i, (column, kind) in enumerate(columns)
    ]
    return select(*picked).subquery(name)


SEPARATOR = "\x1f"  # ASCII unit separator: never part of an order or tracking number (checked, else arrays)


def _unnest(unique: list[tuple[Any, ...]], columns: Columns, name: str) -> FromClause:
    """unnest of one array per column. Each array travels as one separated string that the server splits
    (string_to_array of a constant folds into a constant array, so the row estimate stays exact): psycopg
    dumps a list of strings element by element in Python (measured 6 ms per 5,000), a join is C."""
    arrays: list[Any] = []
    for i, (column, kind) in enumerate(columns):
        values = [str(row[i]) for row in unique]
        text = SEPARATOR.join(values)
        if text.count(SEPARATOR) != max(len(values) - 1, 0) or "" in values:  # would not split back
            arrays.append(
                bindparam(f"{name}_{column}", [row[i] for row in unique], type_=postgresql.ARRAY(kind))
            )
            continue
        split = func.string_to_array(bindparam(f"{name}_{column}", text, type_=Text()), SEPARATOR)
        arrays.append(cast(split, postgresql.ARRAY(kind)) if not isinstance(kind, String) else split)
    return func.unnest(*arrays).table_valued(*(column for column, _ in columns)).render_derived(name=name)
