"""Shared by the readers of the platforms' own order exports (taobao, douyin, aliexpress).

Each platform keeps its header map in `<platform>/headers.toml`: model field -> the column names the
platform has used for it (the first is the canonical name, the rest aliases), which fields are required,
and how the platform's status texts map to ours. Nothing here knows a platform by name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from lanshou.files.tabular import Table
from lanshou.orders.records import OrderRecord, ParcelRecord, RowError
from lanshou.orders.status import OrderStatus
from lanshou.platforms.base import ReadContext, cell, require_columns
from lanshou.platforms.limits import DEFAULT, Limits, order_problem
from lanshou.platforms.values import (
    CellError,
    check,
    check_time,
    clean_id,
    is_missing,
    parse_money,
    parse_quantity,
)

__all__ = ["CellError", "Columns", "HeaderMap", "check", "each_row", "header_map", "mapped_status"]

T = TypeVar("T")


def each_row(
    table: Table,
    parse: Callable[[list[str], int], T],
    columns: Columns | None = None,
    limits: Limits = DEFAULT,
) -> Iterator[T | RowError]:
    """parse(row, line) for every row; a bad cell, or a value its column cannot hold (lanshou.platforms.
    limits), becomes a RowError for that row and reading goes on."""
    name = columns.column if columns is not None else str
    for line, row in table.rows:
        try:
            parsed = parse(row, line)
        except CellError as exc:
            yield RowError(table.path.name, line, exc.column, exc.reason, row)
            continue
        problem = order_problem(parsed, limits) if isinstance(parsed, OrderRecord) else None
        if problem is not None:
            yield RowError(table.path.name, line, name(FIELDS.get(problem[0], problem[0])), problem[1], row)
            continue
        yield parsed


FIELDS = {"buyer_name": "receiver_name", "buyer_phone": "phone", "line_key": "line_key"}  # record -> layout


@dataclass(frozen=True)
class HeaderMap:
    """One export layout of <platform>/headers.toml."""

    fields: Mapping[str, tuple[str, ...]]  # field -> (canonical column, *aliases)
    required: tuple[str, ...]
    statuses: Mapping[str, OrderStatus]  # the platform's status text -> ours
    raw: Mapping[str, Any]  # the whole section, for platform-specific tables

    def status(self, text: str) -> OrderStatus:
        try:
            return self.statuses[text]
        except KeyError:
            known = ", ".join(self.statuses)
            raise ValueError(f"unknown status {text!r} (expected one of {known})") from None

    def text_map(self, key: str) -> dict[str, str]:
        value = self.raw.get(key, {})
        return {str(k): str(v) for k, v in value.items()}

    def texts(self, key: str) -> frozenset[str]:
        return frozenset(str(v) for v in self.raw.get(key, ()))

    def bind(self, table: Table, ctx: ReadContext) -> Columns:
        required = [f for f in self.required if not (f == "shop" and ctx.shop)]
        aliases: dict[str, Sequence[str]] = {names[0]: names[1:] for names in self.fields.values()}
        found = require_columns(table, [self.fields[f][0] for f in required], aliases)
        positions = {f: found.get(names[0]) for f, names in self.fields.items()}
        headers = {f: _header(table, positions[f], names[0]) for f, names in self.fields.items()}
        columns = Columns(table.path.name, positions, headers)
        ctx.absent = frozenset(f for f, sources in SOURCES.items() if not any(map(columns.has, sources)))
        return columns


# OrderRecord field -> the layout fields it is read from (any one present: the file carries it)
SOURCES: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "paid_at": ("paid_at",),
    "is_presale": ("presale",),
    "promised_ship_by": ("promised_ship_by",),
    "buyer_id": ("buyer_id",),
    "buyer_name": ("receiver_name",),
    "buyer_phone": ("mobile", "phone"),
    "province": ("province", "address", "full_address"),
    "city": ("city", "address", "full_address"),
    "district": ("district", "address", "full_address"),
    "address": ("address", "full_address"),
    "buyer_message": ("buyer_message",),
    "order_amount": ("order_amount",),
    "buyer_email": ("buyer_email",),  # no export in PLATFORMS.md has one: an update keeps the stored one
    "country": ("country",),
    "seller_remark": ("seller_remark",),
}


def _header(table: Table, pos: int | None, canonical: str) -> str:
    return table.header[pos] if pos is not None and pos < len(table.header) else canonical


@cache
def header_map(platform: str, layout: str) -> HeaderMap:
    """Section `layout` of <platform>/headers.toml (statuses from its [<layout>.status] table)."""
    with (Path(__file__).parent / platform / "headers.toml").open("rb") as f:
        section = tomllib.load(f)[layout]
    fields = {name: tuple(names) for name, names in section["fields"].items()}
    unknown = [f for f in section.get("required", ()) if f not in fields]
    if unknown:
        raise KeyError(f"{platform}.toml [{layout}]: required field(s) without columns: {unknown}")
    statuses = {text: OrderStatus(value) for text, value in section.get("status", {}).items()}
    return HeaderMap(fields, tuple(section.get("required", ())), statuses, section)


@dataclass(frozen=True)
class Columns:
    """A header map bound to one file: cell values by field name; absent columns read as ''."""

    file: str
    positions: Mapping[str, int | None]
    headers: Mapping[str, str]  # field -> the header this file uses for it (errors name the file's column)

    def has(self, field: str) -> bool:
        return self.positions.get(field) is not None

    def text(self, row: list[str], field: str) -> str:
        """The cell, with `-` and other missing markers read as ''."""
        value = cell(row, self.positions.get(field))
        return "" if is_missing(value) else value

    def ident(self, row: list[str], field: str) -> str:
        return clean_id(self.text(row, field))

    def required_id(self, row: list[str], field: str) -> str:
        value = self.ident(row, field)
        if not value:
            raise CellError(self.column(field), f"missing {self.column(field)}")
        return value

    def time(self, row: list[str], field: str, tz: tzinfo) -> datetime | None:
        return check_time(self.text(row, field), self.column(field), tz)

    def required_time(self, row: list[str], field: str, tz: tzinfo) -> datetime:
        value = self.time(row, field, tz)
        if value is None:
            raise CellError(self.column(field), f"missing {self.column(field)}")
        return value

    def money(self, row: list[str], field: str) -> Decimal | None:
        return check(self.text(row, field), self.column(field), parse_money)

    def quantity(self, row: list[str], field: str) -> int:
        return check(self.text(row, field), self.column(field), parse_quantity)

    def column(self, field: str) -> str:
        return self.headers.get(field, field)

    def shop(self, row: list[str], ctx: ReadContext) -> str:
        shop = self.text(row, "shop") or (ctx.shop or "")
        if not shop:
            raise CellError(self.column("shop"), "missing shop (the file has none: pass --shop)")
        return shop


def mapped_status(layout: HeaderMap, c: Columns, row: list[str], paid: bool) -> OrderStatus:
    """The row's status through the layout's [status] map; `status_if_paid` overrides it for paid orders
    (a closed Taobao order was cancelled before payment, refunded after it)."""
    text, column = c.text(row, "status"), c.column("status")
    if not text:
        raise CellError(column, f"missing {column}")
    if paid and text in (after_pay := layout.text_map("status_if_paid")):
        return OrderStatus(after_pay[text])
    return check(text, column, layout.status)


SEPARATORS = re.compile(r"[,;，；\s]+")


def split_ids(text: str, separators: re.Pattern[str] = SEPARATORS) -> list[str]:
    """Several ids in one cell (tracking numbers): split, unprotect, drop empties."""
    return [value for part in separators.split(text) if (value := clean_id(part))]


def parcels(numbers: list[str], carrier: str, shipped_at: datetime | None) -> Iterator[ParcelRecord]:
    for number in numbers:
        yield ParcelRecord(number, carrier, shipped_at)
