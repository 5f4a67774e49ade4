"""What the database can hold, checked before a row is written, the same on SQLite and PostgreSQL.

SQLite stores a 200-character order id in a VARCHAR(64) column and a 2**40 quantity in an INTEGER;
PostgreSQL refuses both, and the refusal aborts the whole batch. So every value a reader produces is checked
against the column it will land in, and a value that does not fit rejects its own row, naming the column.

The numbers are the tables' column types: `lanshou.intake.limits.from_tables()` reads them from the table
definitions (this package knows no database) and tests/test_limits.py proves DEFAULT equals what it reads.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

from lanshou.orders.records import FeedbackRecord, LineRecord, OrderRecord, ParcelRecord, TrackingEventRecord

# record field -> the table column it is stored in (for a text field: its length)
ORDER_TEXT = {
    "shop": "shops.name",
    "order_no": "orders.order_no",
    "buyer_id": "orders.buyer_key",
    "buyer_name": "orders.receiver_name",
    "buyer_phone": "orders.receiver_phone",
    "buyer_email": "orders.buyer_email",
    "province": "orders.province",
    "city": "orders.city",
    "district": "orders.district",
    "country": "orders.country",
}
LINE_TEXT = {"line_key": "order_lines.line_key", "sku": "order_lines.sku", "category": "order_lines.category"}
PARCEL_TEXT = {"tracking_no": "parcels.tracking_no", "carrier": "parcels.carrier"}
EVENT_TEXT = {
    "tracking_no": "tracking_events.tracking_no",
    "carrier": "tracking_events.carrier",
    "raw_status": "tracking_events.raw_status",
    "location": "tracking_events.location",
}
FEEDBACK_TEXT = {"shop": "shops.name", "order_no": "feedback.order_no"}
TEXT_COLUMNS = {**ORDER_TEXT, **LINE_TEXT, **PARCEL_TEXT, **EVENT_TEXT, **FEEDBACK_TEXT}
MONEY_COLUMNS = ("orders.order_amount", "order_lines.unit_price")
INTEGER_COLUMNS = ("order_lines.quantity", "feedback.rating")


@dataclass(frozen=True)
class Limits:
    """Column -> the most characters it holds; money's digits and decimals; the largest integer."""

    lengths: Mapping[str, int] = field(
        default_factory=lambda: {
            "shops.name": 200,
            "orders.order_no": 64,
            "orders.buyer_key": 200,
            "orders.receiver_name": 200,
            "orders.receiver_phone": 64,
            "orders.buyer_email": 254,
            "orders.province": 64,
            "orders.city": 64,
            "orders.district": 64,
            "orders.country": 64,
            "order_lines.line_key": 128,
            "order_lines.sku": 128,
            "order_lines.category": 128,
            "parcels.tracking_no": 64,
            "parcels.carrier": 64,
            "tracking_events.tracking_no": 64,
            "tracking_events.carrier": 64,
            "tracking_events.raw_status": 64,
            "tracking_events.location": 200,
            "feedback.order_no": 64,
        }
    )
    money_digits: int = 14  # Numeric(14, 2)
    money_scale: int = 2
    integer_max: int = 2**31 - 1  # Integer: 32 bits on PostgreSQL
    # (field, column) pairs -> (field, most characters): worked out once per kind of record
    bounds: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def money_max(self) -> Decimal:
        return Decimal(10) ** (self.money_digits - self.money_scale) - Decimal(1).scaleb(-self.money_scale)


DEFAULT = Limits()

Problem = tuple[str, str]  # (record field, reason)


def text_problem(name: str, value: str, column: str, limits: Limits = DEFAULT) -> Problem | None:
    """A text that its column cannot hold: too long, or a NUL character (PostgreSQL text refuses it)."""
    if "\x00" in value:
        return name, f"{name} contains a NUL character"
    most = limits.lengths.get(column)
    if most is not None and len(value) > most:
        return name, f"{name} is {len(value)} characters long (at most {most})"
    return None


@dataclass(frozen=True)
class _Compiled:
    names: tuple[str, ...]
    columns: tuple[str, ...]
    most: tuple[int, ...]
    values: Callable[[object], tuple[str, ...]]
    floor: int  # the smallest column: values whose total length is within it all fit


def _compiled(checks: tuple[tuple[str, str], ...], limits: Limits) -> _Compiled:
    found = limits.bounds.get(id(checks))  # the module's own tuples: hashing them per record costs
    if found is None:
        names = tuple(name for name, _ in checks)
        columns = tuple(column for _, column in checks)
        most = tuple(limits.lengths.get(column, sys.maxsize) for column in columns)
        getter = attrgetter(*names) if len(names) > 1 else (lambda r: (getattr(r, names[0]),))
        found = _Compiled(names, columns, most, getter, min(most, default=sys.maxsize))
        limits.bounds[id(checks)] = found
    return found


ORDER_CHECKS, LINE_CHECKS = tuple(ORDER_TEXT.items()), tuple(LINE_TEXT.items())
PARCEL_CHECKS, EVENT_CHECKS = tuple(PARCEL_TEXT.items()), tuple(EVENT_TEXT.items())
FEEDBACK_CHECKS = tuple(FEEDBACK_TEXT.items())


def _texts(record: object, checks: tuple[tuple[str, str], ...], limits: Limits) -> Problem | None:
    # once per record of million-line files: one getter, one join; the slow path only for a wrong value
    c = limits.bounds.get(id(checks)) or _compiled(checks, limits)
    values = c.values(record)
    joined = "".join(values)
    if "\x00" not in joined and (
        len(joined) <= c.floor or not any(map(int.__lt__, c.most, map(len, values)))
    ):
        return None
    for name, value, column in zip(c.names, values, c.columns, strict=True):
        problem = text_problem(name, value, column, limits)
        if problem is not None:
            return problem
    return None


def _free_text(record: object, names: tuple[str, ...]) -> Problem | None:
    for name in names:
        if "\x00" in getattr(record, name):
            return name, f"{name} contains a NUL character"
    return None


def line_problem(line: LineRecord, limits: Limits = DEFAULT) -> Problem | None:
    return _texts(line, LINE_CHECKS, limits) or _free_text(line, ("title",))


def parcel_problem(parcel: ParcelRecord, limits: Limits = DEFAULT) -> Problem | None:
    return _texts(parcel, PARCEL_CHECKS, limits)


def order_problem(record: OrderRecord, limits: Limits = DEFAULT) -> Problem | None:
    """The first value of the order (with its lines and parcels) that its column cannot hold."""
    found = _texts(record, ORDER_CHECKS, limits) or _free_text(
        record, ("address", "buyer_message", "seller_remark")
    )
    for line in record.lines:
        found = found or line_problem(line, limits)
    for parcel in record.parcels:
        found = found or parcel_problem(parcel, limits)
    return found


def event_problem(event: TrackingEventRecord, limits: Limits = DEFAULT) -> Problem | None:
    return _texts(event, EVENT_CHECKS, limits) or _free_text(event, ("description",))


def feedback_problem(feedback: FeedbackRecord, limits: Limits = DEFAULT) -> Problem | None:
    found = _texts(feedback, FEEDBACK_CHECKS, limits) or _free_text(feedback, ("content",))
    for tag in feedback.tags:
        found = found or (("tags", "tags contain a NUL character") if "\x00" in tag else None)
    return found
