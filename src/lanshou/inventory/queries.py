"""Reading stock: the list (and its JSON shape), low-stock alerts, listable quantities, the ledger check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from lanshou.db.paging import cut, rows_after
from lanshou.inventory.scope import EVERY_SKU, StockScope
from lanshou.inventory.tables import reservations, stock, stock_ledger, warehouses


@dataclass(frozen=True, slots=True)
class StockRow:
    sku: str
    warehouse: str
    on_hand: int
    reserved: int
    safety_stock: int
    location: str = ""
    rank: int = 0  # the warehouse's: the list's order within a SKU (reservation tries lower ranks first)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        """At or below the safety level (a level of 0 alerts only when nothing is available)."""
        return self.available <= self.safety_stock

    def as_json(self) -> dict[str, Any]:
        """The shape of `lanshou stock list --json` (and the API)."""
        return {
            "sku": self.sku,
            "warehouse": self.warehouse,
            "on_hand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "safety_stock": self.safety_stock,
        }


@dataclass(frozen=True)
class StockPosition:
    """Where a page of the stock list ends: the last row's SKU and warehouse (rank, then code, which is
    unique), the list's own order. A SKU counted in before it does not shift a row onto the next page
    twice, or past it, as an offset did."""

    sku: str
    rank: int
    warehouse: str

    def as_cursor(self) -> dict[str, Any]:
        return {"s": self.sku, "r": self.rank, "w": self.warehouse}

    @classmethod
    def of(cls, row: StockRow) -> StockPosition:
        return cls(row.sku, row.rank, row.warehouse)

    @classmethod
    def from_cursor(cls, value: dict[str, Any]) -> StockPosition | None:
        """The position a decoded cursor holds; None when it is not one (a value the columns cannot hold)."""
        sku, rank, code = value.get("s"), value.get("r"), value.get("w")
        if not isinstance(sku, str) or not isinstance(code, str) or not isinstance(rank, int):
            return None
        if not -(2**31) <= rank < 2**31 or "\x00" in sku + code:
            return None
        return cls(sku, rank, code)


STOCK_CURSOR = {"s": str, "r": int, "w": str}


def list_stock(
    conn: Connection,
    *,
    low: bool = False,
    sku: str | None = None,
    after: StockPosition | None = None,
    limit: int | None = None,
    scope: StockScope = EVERY_SKU,
) -> list[StockRow]:
    """Stock rows by SKU, then warehouse rank and code, of the SKUs `scope` covers; `after`, `limit`: a
    keyset page of them."""
    s, w = stock.c, warehouses.c
    query = (
        select(s.sku, w.code, s.on_hand, s.reserved, s.safety_stock, s.location, w.rank)
        .join(warehouses, w.id == s.warehouse_id)
        .order_by(s.sku, w.rank, w.code)
        .limit(limit)
    )
    if sku is not None:
        query = query.where(s.sku == sku)
    if low:
        query = query.where(s.on_hand - s.reserved <= s.safety_stock)
    if scope.skus is not None:  # in the query, so that a page holds `limit` rows of the scope
        if not scope.skus:
            return []
        query = query.where(s.sku.in_(sorted(scope.skus)))
    if after is not None:
        order = [(s.sku, False), (w.rank, False), (w.code, False)]
        query = query.where(rows_after(order, (after.sku, after.rank, after.warehouse)))
    return [StockRow(*row) for row in conn.execute(query)]


def stock_page(
    conn: Connection, limit: int, after: StockPosition | None = None, **filters: Any
) -> tuple[list[StockRow], StockPosition | None]:
    """Up to `limit` stock rows after `after` (list_stock's order and `filters`), and the position to go
    on from (None: no more)."""
    return cut(list_stock(conn, after=after, limit=limit + 1, **filters), limit, StockPosition.of)


def low_stock(conn: Connection, scope: StockScope = EVERY_SKU) -> list[StockRow]:
    """Low-stock alerts: every SKU and warehouse whose available quantity is at or below its safety level."""
    return list_stock(conn, low=True, scope=scope)


def available_by_sku(conn: Connection) -> dict[str, int]:
    s = stock.c
    query = select(s.sku, func.sum(s.on_hand - s.reserved)).group_by(s.sku)
    return {sku: int(total or 0) for sku, total in conn.execute(query)}


def listable(available: int, buffer: int | float) -> int:
    """What a shop may list on its platform: available minus its buffer (a count, or a share below 1)."""
    keep = int(available * buffer + 0.999999) if 0 < buffer < 1 else int(buffer)
    return max(available - keep, 0)


def listable_quantities(conn: Connection, settings: dict[str, object]) -> dict[str, int]:
    """Per stock SKU, the quantity one shop may list (its settings' `stock_buffer`, default 0)."""
    raw = settings.get("stock_buffer", 0)
    buffer = raw if isinstance(raw, int | float) and raw >= 0 else 0
    return {sku: listable(total, buffer) for sku, total in available_by_sku(conn).items()}


def ledger_mismatches(conn: Connection) -> list[tuple[str, int, int, int, int, int]]:
    """(sku, warehouse id, on_hand, ledger on_hand, reserved, ledger reserved) where they differ: empty
    when the ledger balances."""
    s, g = stock.c, stock_ledger.c
    sums = (
        select(
            g.sku,
            g.warehouse_id,
            func.sum(g.on_hand_delta).label("on_hand"),
            func.sum(g.reserved_delta).label("reserved"),
        )
        .group_by(g.sku, g.warehouse_id)
        .subquery()
    )
    query = select(
        s.sku,
        s.warehouse_id,
        s.on_hand,
        func.coalesce(sums.c.on_hand, 0),
        s.reserved,
        func.coalesce(sums.c.reserved, 0),
    ).outerjoin(sums, (sums.c.sku == s.sku) & (sums.c.warehouse_id == s.warehouse_id))
    return [tuple(row) for row in conn.execute(query) if row[2] != row[3] or row[4] != row[5]]


def order_reservations(conn: Connection, shop_id: int, order_no: str) -> list[dict[str, Any]]:
    """What one order holds or held, oldest first (for `lanshou orders show`): stock SKU, warehouse,
    quantity, state (reserved, released, deducted), shipment part and times (naive UTC)."""
    r, w = reservations.c, warehouses.c
    query = (
        select(r.sku, w.code, r.quantity, r.state, r.part, r.created_at, r.closed_at)
        .join(warehouses, w.id == r.warehouse_id)
        .where(r.shop_id == shop_id, r.order_no == order_no)
        .order_by(r.id)
    )
    return [
        {
            "sku": row.sku,
            "warehouse": row.code,
            "quantity": row.quantity,
            "state": row.state,
            "part": row.part,  # 0: the whole order; n: part n of a split order (拆单)
            "created_at": row.created_at,
            "closed_at": row.closed_at,
        }
        for row in conn.execute(query)
    ]
