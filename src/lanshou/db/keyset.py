"""A batch's keys as a table to join on, in one bound parameter: set-based look-ups instead of IN lists.

A look-up for a batch (the orders of 2,000 keys, the events of 5,000 tracking numbers) used to be chunks of
`col IN (…500 parameters…)`, per shop: on PostgreSQL each chunk is a round trip whose thousands of parameters
SQLAlchemy expands and psycopg parses in Python (measured: most of the refresh's client time), and the
server plans a 500-arm OR again each time. Here the keys travel as one value and the query joins on them:
- PostgreSQL: `unnest(:a::int[], :b::text[]) AS k(shop_id, order_no)` (arrays are adapted in C; the planner
  knows the row count of a constant array and probes the key's index once per key: a nested loop);
- SQLite: `json_each(:json) AS k` with each column picked out of the JSON array (the virtual table drives the
  join and each key is one index search, checked with EXPLAIN QUERY PLAN).
Every key set is de-duplicated first, so a join never repeats a row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, FromClause, Integer, String, bindparam, func, select, type_coerce
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

Columns = Sequence[tuple[str, TypeEngine[Any]]]
ORDER_KEY: Columns = (("shop_id", Integer()), ("order_no", String()))
PARCEL_KEY: Columns = (("shop_id", Integer()), ("tracking_no", String()))
TRACKING_NO: Columns = (("tracking_no", String()),)
IDS: Columns = (("id", Integer()),)


def keyset(conn: Connection, rows: Iterable[Sequence[Any]], columns: Columns, name: str = "k") -> FromClause:
    """A FROM item with the given columns holding these rows (tuples in `columns` order), each once."""
    unique = sorted(set(map(tuple, rows)))
    if conn.dialect.name == "postgresql":
        arrays = [
            bindparam(f"{name}_{column}", [row[i] for row in unique], type_=postgresql.ARRAY(kind))
            for i, (column, kind) in enumerate(columns)
        ]
        return func.unnest(*arrays).table_valued(*(column for column, _ in columns)).render_derived(name=name)
    rows_json = json.dumps(unique if len(columns) > 1 else [row[0] for row in unique], ensure_ascii=False)
    each = func.json_each(bindparam(f"{name}_json", rows_json)).table_valued("value").alias(f"{name}_each")
    if len(columns) == 1:
        column, kind = columns[0]
        return select(type_coerce(each.c.value, kind).label(column)).subquery(name)
    picked = [
        type_coerce(func.json_extract(each.c.value, f"$[{i}]"), kind).label(column)
        for i, (column, kind) in enumerate(columns)
    ]
    return select(*picked).subquery(name)
