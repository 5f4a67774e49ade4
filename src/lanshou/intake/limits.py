"""The value limits of lanshou.platforms.limits, read from the tables' column types."""

from __future__ import annotations

from sqlalchemy import Column, Integer, Numeric, String

from lanshou.customers.tables import feedback
from lanshou.orders.tables import order_lines, orders
from lanshou.platforms.limits import DEFAULT, INTEGER_COLUMNS, MONEY_COLUMNS, Limits
from lanshou.shops.tables import shops
from lanshou.tracking.tables import parcels, tracking_events

TABLES = {t.name: t for t in (shops, orders, order_lines, parcels, tracking_events, feedback)}


def _column(name: str) -> Column[object]:
    table, column = name.split(".")
    return TABLES[table].c[column]


def from_tables() -> Limits:
    """Every limit the readers check, as the table definitions state it (a wrong name raises KeyError)."""
    lengths: dict[str, int] = {}
    for name in DEFAULT.lengths:
        kind = _column(name).type
        if not isinstance(kind, String) or kind.length is None:
            raise TypeError(f"{name} is not a String(n) column")
        lengths[name] = kind.length
    money = {
        (t.precision, t.scale) for t in (_column(n).type for n in MONEY_COLUMNS) if isinstance(t, Numeric)
    }
    if len(money) != 1:
        raise TypeError(f"money columns {MONEY_COLUMNS} do not share one Numeric(p, s) type")
    ((digits, scale),) = money
    if not all(isinstance(_column(n).type, Integer) for n in INTEGER_COLUMNS):
        raise TypeError(f"{INTEGER_COLUMNS} are not all Integer columns")
    return Limits(lengths, digits or DEFAULT.money_digits, scale or 0, 2**31 - 1)  # Integer: 32 bits
