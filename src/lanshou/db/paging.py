"""Keyset pages: a list in a total order (its last column unique) continues with the rows after the last one
shown, not at an offset. Rows added or removed before that position then neither shift a row onto the next
page twice nor past it unseen, and a page costs an index range however deep it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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


@dataclass(frozen=True)
class Moment:
    """Where a page of a newest-first list ends: the last row's time (naive UTC, as stored) and its id."""

    at: datetime
    id: int

    def as_cursor(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "id": self.id}

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> Moment | None:
        """The position a decoded cursor holds; None when it is not one. Its time is UTC when naive (as
        `as_cursor` writes it); one with an offset (a cursor made by hand) is the instant it names."""
        try:
            at, row_id = naive_utc(datetime.fromisoformat(value["at"])), int(value["id"])
        except (KeyError, TypeError, ValueError, OverflowError):  # Overflow: year 1 at +08:00 is year 0 UTC
            return None
        return cls(at, row_id) if 0 < row_id < 2**31 else None  # an id the column can hold


MOMENT_CURSOR = {"at": str, "id": int}


def naive_utc(moment: datetime) -> datetime:
    """The stored times' form, naive UTC: an aware time converted (dropping its offset would move it by
    that many hours, and a page would repeat or skip rows), a naive one as it is."""
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
