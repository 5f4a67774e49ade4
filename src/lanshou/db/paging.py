"""Keyset pages: a list in a total order (its last column unique) continues with the rows after the last one
shown, not at an offset. Rows added or removed before that position then neither shift a row onto the next
page twice nor past it unseen, and a page costs an index range however deep it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, or_

R = TypeVar("R")
P = TypeVar("P")
Order = Sequence[tuple[ColumnElement[Any], bool]]  # the list's order: each column, descending?


def rows_after(columns: Order, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `columns`. The first column's bound (≥, ≤ descending) is
    also said on its own: neither SQLite nor PostgreSQL derives it from the OR, and without it an index
    leading with that column is read from its start instead of from the position."""
    column, descending = columns[0]
    value = bindparam(None, values[0], type_=column.type)
    if len(columns) == 1:
        return _beyond(columns, values)
    return and_(column <= value if descending else column >= value, _beyond(columns, values))


def _beyond(columns: Order, values: Sequence[Any]) -> ColumnElement[bool]:
    column, descending = columns[0]
    value = bindparam(None, values[0], type_=column.type)
    beyond = column < value if descending else column > value
    if len(columns) == 1:
        return beyond
    return or_(beyond, and_(column == value, _beyond(columns[1:], values[1:])))


def cut(rows: Sequence[R], limit: int, position: Callable[[R], P]) -> tuple[list[R], P | None]:
    """A page out of the `limit + 1` rows read for it, and the position of its last row when more follow
    (None: this is the last page)."""
    page = list(rows[:limit])
    return page, (position(page[-1]) if len(rows) > limit and page else None)
