"""The one MetaData every area's tables join (so Alembic and foreign keys see them all), and its naming
convention. Times are naive UTC; money is Numeric; natural keys make bulk upserts single statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Index, MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def partial_index(name: str, *columns: Any, where: ColumnElement[bool]) -> Index:
    """An index of only the rows `where` holds, on both databases (each dialect takes its own predicate)."""
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)
