"""Persist imported orders in batches: compare with what is stored, write only what changed, and say which
orders changed (a re-imported export mostly repeats what is stored: nothing downstream is derived again for
an order whose fields, lines and parcels are as they were)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, Connection, DateTime, Numeric, Select, select

from lanshou.customers.store import save_buyers
from lanshou.db.bulk import as_time_text, insert_rows, upsert
from lanshou.db.driver_reads import converted, driver_rows
from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.events import CreatedOrder
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.orders.records import RowError
from lanshou.orders.rows import (
    BUYER_FIELDS,
    LINE_FIELDS,
    ORDER_FIELDS,
    OrderRows,
    Values,
    money_text,
    time_text,
)
from lanshou.orders.status import OrderStatus, can_transition
from lanshou.shops.store import ShopDirectory
from lanshou.tracking.store import ParcelKey, Shipment, save_shipments

ORDER_COLUMNS = ("shop_id", "order_no", *ORDER_FIELDS, "updated_at")
LINE_COLUMNS = ("shop_id", "order_no", *LINE_FIELDS)
BUYER_COLUMNS = ("platform", "buyer_key", *BUYER_FIELDS)
STATUS, PAID_AT = ORDER_FIELDS.index("status"), ORDER_FIELDS.index("paid_at")
CREATED_AT, IS_PRESALE = ORDER_FIELDS.index("created_at"), ORDER_FIELDS.index("is_presale")
PROMISED_SHIP_BY, PROVINCE = ORDER_FIELDS.index("promised_ship_by"), ORDER_FIELDS.index("province")
SKU, CATEGORY = LINE_FIELDS.index("sku"), LINE_FIELDS.index("category")


@dataclass
class BatchResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[RowError] = field(default_factory=list)
    # orders whose stored facts changed: new, updated, and those outside the batch that ride in a parcel it
    # updated (lanshou.tracking.store.save_shipments); an unchanged order is not among them
    changed: list[OrderKey] = field(default_factory=list)
    # when asked for: the new orders as written whose parcels are all new and carry only new orders of them
    created: list[CreatedOrder] = field(default_factory=list)


def _keep_stored(stored: Values, fields: Values) -> Values:
    """A lines-only record (e.g. Taobao 宝贝报表) on a stored order must not blank what another file brought:
    keep every stored field, take the status only as a legal forward change, the pay time only if none."""
    kept = list(stored)
    if can_transition(OrderStatus(stored[STATUS]), OrderStatus(fields[STATUS])):
        kept[STATUS] = fields[STATUS]
    if kept[PAID_AT] is None:
        kept[PAID_AT] = fields[PAID_AT]
    return tuple(kept)


def _keep_absent(stored: Values, fields: Values, keep: Sequence[int]) -> Values:
    kept = list(fields)
    for i in keep:
        kept[i] = stored[i]
    return tuple(kept)


class OrderStore:
    def __init__(self, conn: Connection, shops: ShopDirectory | None = None) -> None:
        self.conn = conn
        self.shops = shops or ShopDirectory(conn)

    def save(
        self, orders: Sequence[OrderRows], source: str = "", keep: Sequence[int] = (), describe: bool = False
    ) -> BatchResult:
        """Store one batch (each order once: see lanshou.orders.rows.to_rows). `keep`: positions in
        ORDER_FIELDS the file carries no value for (lanshou.orders.rows.kept_fields): stored values stay.
        `describe`: fill BatchResult.created."""
        result = BatchResult()
        keyed = [(self.shops.ensure(self.conn, o.platform, o.shop), o) for o in orders]
        existing = self._existing([(shop_id, o.order_no) for shop_id, o in keyed])
        stored_lines = self._stored_lines(existing)
        moment = datetime.now(UTC).replace(tzinfo=None)
        now = time_text(moment)  # text, like every time in OrderRows
        new_rows: list[Values] = []
        changed_rows: list[Values] = []
        new_lines: list[Values] = []  # of orders new in this batch: no stored line can have their key
        lines: list[Values] = []  # of stored orders: those new or different
        kept: list[OrderKey] = []  # stored orders of the batch not rejected
        touched: set[OrderKey] = set()  # stored orders whose fields, lines or parcels changed
        shipments: list[Shipment] = []
        buyers: dict[tuple[str, str], Values] = {}
        events: list[dict[str, Any]] = []
        for shop_id, order in keyed:
            key = (shop_id, order.order_no)
            stored = existing.get(key)
            fields = order.fields
            if stored is None:
                new_rows.append((*key, *fields, now))
                new_lines.extend([(*key, *line) for line in order.lines])
            else:
                if order.lines_only:
                    fields = _keep_stored(stored, fields)  # an older status is kept, not rejected
                elif keep:
                    fields = _keep_absent(stored, fields, keep)
                current, status = OrderStatus(stored[STATUS]), OrderStatus(fields[STATUS])
                if not can_transition(current, status):
                    result.rejected.append(_illegal_change(source, order, current, status))
                    continue
                kept.append(key)
                if stored != fields:
                    touched.add(key)
                    changed_rows.append((*key, *fields, now))
                    if current != status:
                        events.append(_status_event(source, order, shop_id, current, status, moment))
                have = stored_lines.get(key, {})
                moved = [(*key, *line) for line in order.lines if have.get(line[0]) != line]
                if moved:
                    touched.add(key)
                    lines.extend(moved)
            result.lines += len(order.lines)
            shipments.append((*key, order.parcels))
            if order.buyer is not None and (stored is None or stored != fields):  # else stored already
                buyers[(order.platform, order.buyer_key)] = (order.platform, order.buyer_key, *order.buyer)
        # buyers in key order: two imports sharing buyers lock their rows in the same order (no deadlock)
        self._write(new_rows, changed_rows, new_lines, lines, [buyers[key] for key in sorted(buyers)], events)
        new = {(row[0], row[1]) for row in new_rows}  # (shop id, order number): not every field unpacked
        saved = save_shipments(self.conn, shipments, existing.keys(), new)
        touched.update(saved.changed)
        if describe and new:
            result.created = _created(keyed, new, shipments, saved.created)
        result.inserted = len(new_rows)
        result.updated = sum(1 for key in kept if key in touched)  # their lines or parcels count too
        result.unchanged = len(kept) - result.updated
        result.changed = sorted(new | touched)
        return result

    def _write(
        self,
        new_rows: list[Values],
        changed_rows: list[Values],
        new_lines: list[Values],
        lines: list[Values],
        buyers: list[Values],
        events: list[dict[str, Any]],
    ) -> None:
        conn = self.conn
        insert_rows(conn, ot.orders, new_rows, ORDER_COLUMNS)
        upsert(conn, ot.orders, changed_rows, ["shop_id", "order_no"], ORDER_COLUMNS[2:], ORDER_COLUMNS)
        # lines are unique already: merge_records gave each order's lines distinct keys. A new order's lines
        # are inserted (COPY on PostgreSQL): lines are written only with their order, whose row this batch
        # just inserted (a concurrent import of the same order fails on that row first, and runs again)
        insert_rows(conn, ot.order_lines, new_lines, LINE_COLUMNS)
        upsert(conn, ot.order_lines, lines, LINE_COLUMNS[:3], LINE_COLUMNS[3:], LINE_COLUMNS)
        save_buyers(conn, buyers, BUYER_COLUMNS)
        insert_rows(conn, ot.order_events, events)

    def _stored_lines(self, orders: Collection[OrderKey]) -> dict[OrderKey, dict[str, Values]]:
        """The stored lines (LINE_FIELDS) of these orders, by order and line key, as OrderRows hold them:
        only a line that is new or differs is written again, and only its order counts as changed. Read
        after _existing, whose locks (PostgreSQL) cover the lines: they are written only with their order."""
        if not orders:
            return {}
        li = ot.order_lines
        k = keyset(self.conn, orders, ORDER_KEY)
        query = select(li.c.shop_id, li.c.order_no, *[li.c[name] for name in LINE_FIELDS]).select_from(
            li.join(k, (li.c.shop_id == k.c.shop_id) & (li.c.order_no == k.c.order_no))
        )
        found: dict[OrderKey, dict[str, Values]] = defaultdict(dict)
        for row in read_as_stored(self.conn, query):
            found[(row[0], row[1])][row[2]] = row[2:]
        return found

    def _existing(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Values]:
        """Stored ORDER_FIELDS of the orders among keys that exist, in one look-up joined on the batch's keys
        (IN lists of 500 cost more to build than to run). On PostgreSQL the rows stay locked until the batch
        commits, so a concurrent import of the same orders compares with what this one wrote (SQLite's write
        transaction holds the whole database already)."""
        if not keys:
            return {}
        o = ot.orders
        k = keyset(self.conn, keys, ORDER_KEY)
        cols = [o.c.shop_id, o.c.order_no] + [o.c[name] for name in ORDER_FIELDS]
        query = select(*cols).select_from(
            o.join(k, (o.c.shop_id == k.c.shop_id) & (o.c.order_no == k.c.order_no))
        )
        if self.conn.dialect.name == "postgresql":  # in key order, as every import locks them: two imports
            query = query.order_by(o.c.shop_id, o.c.order_no).with_for_update(
                of=o
            )  # never wait on each other both
        return {(row[0], row[1]): row[2:] for row in read_as_stored(self.conn, query)}


def read_as_stored(conn: Connection, query: Select[Any]) -> list[Values]:
    """The rows of `query` with each value in the form OrderRows hold it (times as time_text's text, money
    as money_text's), taken from the driver's cursor: a re-imported export compares every order and line
    it names with what is stored, and SQLAlchemy's rows (a time parsed, then written back as text here)
    cost twice the read (SQLite, 10,000 orders: 0.34-0.46 s against 0.12-0.16 s)."""
    rows = driver_rows(conn, query)
    sqlite = conn.dialect.name == "sqlite"
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(query.selected_columns):
        kind = column.type
        if isinstance(kind, DateTime):
            converters.append((i, as_time_text if sqlite else time_text))
        elif isinstance(kind, Numeric):
            converters.append((i, _sqlite_money if sqlite else money_text))
        elif isinstance(kind, Boolean) and sqlite:
            converters.append((i, bool))  # stored 0 / 1
    return converted(rows, converters) if rows and converters else rows


@lru_cache(maxsize=8192)  # prices repeat
def _sqlite_money(stored: float | int) -> str | None:
    """A Numeric(14, 2) value as SQLite keeps it (a number) read as SQLAlchemy reads it (its two decimals'
    text), as money_text writes it."""
    return money_text(Decimal(f"{stored:.2f}"))


def _created(
    keyed: Sequence[tuple[int, OrderRows]],
    new: Collection[OrderKey],
    shipments: Sequence[Shipment],
    created: Collection[ParcelKey],
) -> list[CreatedOrder]:
    """The new orders as written (lanshou.events.CreatedOrder) whose every parcel is new too and carries
    only orders among them: a parcel several orders name (合并发货) counts under one of them, so it goes
    with all of them or with none (an order sharing a parcel with one left out is left out too)."""
    namers: dict[ParcelKey, list[OrderKey]] = defaultdict(list)
    for shop_id, order_no, parcels in shipments:
        for _, number, _ in parcels:
            namers[(shop_id, number)].append((shop_id, order_no))
    left_out = {
        (shop_id, order.order_no)
        for shop_id, order in keyed
        if (shop_id, order.order_no) not in new
        or any((shop_id, number) not in created for _, number, _ in order.parcels)
    }
    _spread(left_out, namers)
    found = []
    for shop_id, order in keyed:
        key = (shop_id, order.order_no)
        if key in left_out:
            continue
        f = order.fields
        found.append(
            CreatedOrder(
                key,
                f[STATUS],
                f[CREATED_AT],
                f[PAID_AT],
                f[IS_PRESALE],
                f[PROMISED_SHIP_BY],
                f[PROVINCE],
                tuple([(line[SKU], line[CATEGORY]) for line in order.lines]),
                tuple([(number, carrier, shipped_at) for carrier, number, shipped_at in order.parcels]),
            )
        )
    return found


def _spread(left_out: set[OrderKey], namers: dict[ParcelKey, list[OrderKey]]) -> None:
    """Add to `left_out` every order that shares a parcel with one in it, and so on."""
    sharing: dict[OrderKey, list[ParcelKey]] = defaultdict(list)  # the parcels others name too
    for parcel, orders in namers.items():
        if len(orders) > 1:
            for key in orders:
                sharing[key].append(parcel)
    todo = [key for key in left_out if key in sharing]
    while todo:
        for parcel in sharing[todo.pop()]:
            for other in namers[parcel]:
                if other not in left_out:
                    left_out.add(other)
                    todo.append(other)


def _illegal_change(source: str, order: OrderRows, current: OrderStatus, status: OrderStatus) -> RowError:
    return RowError(
        source,
        order.source_line,
        "status",
        f"order {order.order_no}: illegal status change {current.value} -> {status.value}; "
        "the order was left as it was",
    )


def _status_event(
    source: str, order: OrderRows, shop_id: int, current: OrderStatus, status: OrderStatus, now: datetime
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "order_no": order.order_no,
        "at": now,
        "kind": "status",
        "detail": f"{current.value} -> {status.value} (import {source} line {order.source_line})",
    }
