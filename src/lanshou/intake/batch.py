"""Orders given as data rather than a file (the API's batch ingest): the generic format's rules, one
transaction through the same store and events as a file import, committed (durable) before it returns.

Each order is given with its lines; they are flattened to the generic file's rows (one per line, the
order's columns repeated) and read by the generic reader's `read_rows`, so an order from the API is checked
exactly as the same order in a file (without a file: the rows are built positionally). `may_write` decides
which shops the caller may write: if any order names another shop, nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Engine

from lanshou.db.engine import run_transaction
from lanshou.events import EventBus, bus
from lanshou.gc_pause import gc_paused
from lanshou.intake.orders import _store
from lanshou.orders.records import OrderRecord, RowError
from lanshou.orders.rows import to_rows
from lanshou.platforms.base import ReadContext
from lanshou.platforms.generic.orders import LINE_COLUMNS, OPTIONAL, REQUIRED, read_rows
from lanshou.platforms.registry import load_platforms
from lanshou.shops.store import ShopDirectory

COLUMNS = (*REQUIRED, *OPTIONAL)
ORDER_FIELDS = tuple(c for c in COLUMNS if c not in LINE_COLUMNS)
SOURCE = "api"


class ShopNotAllowed(PermissionError):
    def __str__(self) -> str:
        return f"店铺不存在或无权写入 no such shop among yours: {self.args[0]}"


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[RowError] = field(default_factory=list)  # line = the order's position (1-based)


POSITIONS = {name: i for i, name in enumerate(COLUMNS)}
_ORDER_AT = tuple(POSITIONS[name] for name in ORDER_FIELDS)
_LINE_AT = tuple((POSITIONS[name], name) for name in COLUMNS if name in LINE_COLUMNS)


def rows_of(orders: Sequence[Mapping[str, Any]]) -> Iterator[tuple[int, list[str], list[str], object]]:
    """(order position, generic row, the row and "" after it, the order's key) per line, for
    `read_rows`: the order's fields repeated on each of its lines; a line's carrier/tracking/shipped_at
    default to the order's own. Built positionally: no file, no dict per line."""
    width = len(COLUMNS)
    for position, order in enumerate(orders, start=1):
        head = tuple([_text(order.get(name)) for name in ORDER_FIELDS])
        template = [""] * (width + 1)  # the last: what an absent column reads (none is absent here)
        for at, value in zip(_ORDER_AT, head, strict=True):
            template[at] = value
        for line in order.get("lines") or [{}]:
            row = template.copy()
            for at, name in _LINE_AT:
                value = line.get(name)  # a line's own carrier, tracking or shipped_at, else the order's
                row[at] = _text(order.get(name) if value is None else value)
            yield position, row[:width], row, head


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def ingest_orders(
    engine: Engine,
    orders: Sequence[Mapping[str, Any]],
    may_write: Callable[[str, str], bool] | None = None,
    events: EventBus = bus,
    settle: bool = True,
) -> BatchResult:
    """Check and store these orders in one transaction. Raises ShopNotAllowed (nothing stored) when an
    order names a shop `may_write(platform, shop)` refuses. Bad orders are returned as rejected; the
    good ones are stored.

    The orders and their marks for the subscribers (metric rollups) are committed together; `settle=False`
    leaves the subscribers' catching up to the caller (`events.settle`), as the API does after answering."""
    load_platforms()
    with engine.connect() as conn:
        shops = ShopDirectory(conn)
    ctx = ReadContext(shop_timezones=dict(shops.timezones))
    # the cyclic collector walked the batch's objects over and over while it was being built, though none
    # is garbage before the batch is done (1,000 orders: 9.5 ms of its CPU -> 2.4)
    with gc_paused():
        result, stored = _check_and_store(engine, orders, may_write, events, shops, ctx)
    if stored and settle:
        events.settle(engine)
    return result


def _check_and_store(
    engine: Engine,
    orders: Sequence[Mapping[str, Any]],
    may_write: Callable[[str, str], bool] | None,
    events: EventBus,
    shops: ShopDirectory,
    ctx: ReadContext,
) -> tuple[BatchResult, bool]:
    records: list[OrderRecord] = []
    result = BatchResult()
    for item in read_rows(rows_of(orders), POSITIONS, ctx, SOURCE):  # the generic file's checks
        if isinstance(item, OrderRecord):
            records.append(item)
        elif not result.rejected or result.rejected[-1].line != item.line:  # one reason per order
            result.rejected.append(item)
    if may_write is not None:
        refused = sorted({(r.platform, r.shop) for r in records if not may_write(r.platform, r.shop)})
        if refused:
            raise ShopNotAllowed(", ".join(f"{p}/{s}" for p, s in refused))
    if records:
        store = partial(_store, shops=shops, source=SOURCE, events=events)
        stored = run_transaction(engine, lambda conn: store(conn, to_rows(records)))
        result.inserted, result.updated, result.unchanged = stored.inserted, stored.updated, stored.unchanged
        result.lines = stored.lines
        result.rejected += stored.rejected
    return result, bool(records)
