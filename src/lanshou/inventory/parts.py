"""Reservations follow a split order's shipments (拆单): each shipment part holds its own goods.

An order reserves as a whole (all its lines or none, lanshou.inventory.reserve). When it is split, its live
reservation rows are labelled with the part that takes them; a row that two parts share is cut in two (same
SKU, warehouse and creation time). Nothing moves on the shelf: `reserved` stays what it was, so no ledger
row is written. When a part ships, only its rows are deducted. An order accepted after it was split
reserves as a whole (part 0): the part that ships takes its goods out of those rows first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from lanshou.inventory.reserve import Needs, OrderKey, deduct_orders, lock_rows
from lanshou.inventory.tables import reservations
from lanshou.orders.timeline import SYSTEM

r = reservations.c


def _live(conn: Connection, key: OrderKey, part: int | None = None) -> list[Any]:
    query = select(r.id, r.sku, r.warehouse_id, r.quantity, r.part, r.created_at).where(
        r.shop_id == key[0], r.order_no == key[1], r.state == "reserved"
    )
    if part is not None:
        query = query.where(r.part == part)
    return list(conn.execute(query.order_by(r.id)))


def assign_parts(conn: Connection, key: OrderKey, parts: Mapping[int, Needs]) -> int:
    """Label the order's live reservations with the part (1, 2, …) that takes them, `parts` giving each
    part's stock needs; returns how many rows now belong to a part (0: the order holds no reservation)."""
    live = _live(conn, key)
    if not live:
        return 0
    if conn.dialect.name == "postgresql":
        lock_rows(conn, {row.sku for row in live})  # the lock order every stock writer keeps
    conn.execute(
        update(reservations)
        .where(r.shop_id == key[0], r.order_no == key[1], r.state == "reserved")
        .values(part=0)
    )
    pool = _pool(live)
    return sum(_carve(conn, key, pool, part, needs) for part, needs in sorted(parts.items()))


def join_parts(conn: Connection, key: OrderKey) -> None:
    """The order ships whole again: its live rows belong to no part (rows cut by a split stay cut)."""
    conn.execute(
        update(reservations)
        .where(r.shop_id == key[0], r.order_no == key[1], r.state == "reserved")
        .values(part=0)
    )


def deduct_part(
    conn: Connection,
    key: OrderKey,
    part: int,
    needs: Needs,
    now: datetime,
    actor: str = SYSTEM,
    note: str = "",
) -> int:
    """Shipment part `part` of a split order left: deduct what it holds (carved out of the order's whole
    reservation first when the order was reserved after the split). Returns the stock lines deducted."""
    if not _live(conn, key, part):
        whole = _live(conn, key, 0)
        if whole:
            _carve(conn, key, _pool(whole), part, needs)
    return deduct_orders(conn, [key], now, actor, note, part=part)


def _pool(rows: list[Any]) -> dict[str, list[list[Any]]]:
    """Per SKU, the rows not yet given to a part: [id, warehouse id, quantity left, created at]."""
    pool: dict[str, list[list[Any]]] = defaultdict(list)
    for row in rows:
        pool[row.sku].append([row.id, row.warehouse_id, row.quantity, row.created_at])
    return pool


def _carve(conn: Connection, key: OrderKey, pool: dict[str, list[list[Any]]], part: int, needs: Needs) -> int:
    """Give `part` its needs out of the pool's rows: a whole row is relabelled, a larger one is cut."""
    labelled = 0
    for sku, quantity in needs:
        remaining = quantity
        for row in pool.get(sku, []):
            if remaining == 0:
                break
            row_id, warehouse_id, left, created_at = row
            if left == 0:
                continue
            if left <= remaining:
                conn.execute(update(reservations).where(r.id == row_id).values(part=part))
                remaining -= left
                row[2] = 0
            else:
                conn.execute(update(reservations).where(r.id == row_id).values(quantity=left - remaining))
                conn.execute(
                    insert(reservations).values(
                        shop_id=key[0],
                        order_no=key[1],
                        sku=sku,
                        warehouse_id=warehouse_id,
                        quantity=remaining,
                        state="reserved",
                        part=part,
                        created_at=created_at,
                    )
                )
                row[2] = left - remaining
                remaining = 0
            labelled += 1
    return labelled
