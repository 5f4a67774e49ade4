"""Reserve, release and deduct stock for orders, never overselling.

Reserving is one conditional UPDATE per stock SKU (`... SET reserved = reserved + q WHERE ... AND on_hand
- reserved >= q`): the database decides, so nothing is read and then written. An order reserves all its
lines in one warehouse or nothing: when one line is short, the lines it already took in that warehouse are
given back in the same transaction (cheaper than a savepoint per order: two statements fewer, measured in
bench/reserve; equally exact, because the rows stay locked by this transaction), and the next warehouse (by
rank) is tried. The CHECK constraints of `stock` are the last guard.

Several orders in one transaction would take row locks in different orders and could deadlock against
another process doing the same; so on PostgreSQL a batch first locks every stock row it may touch in id
order (`SELECT ... ORDER BY id FOR UPDATE`, which decides nothing), and then reserves. SQLite's write
transaction is exclusive already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, text

from lanshou.db.bulk import insert_rows
from lanshou.inventory.tables import reservations, stock, stock_ledger, warehouses
from lanshou.orders.timeline import SYSTEM

OrderKey = tuple[int, str]
Needs = tuple[tuple[str, int], ...]  # (stock SKU, quantity), sorted by SKU

# q < 0 gives back what this transaction took a moment ago (always allowed: it only lowers reserved)
_RESERVE = (
    "UPDATE stock SET reserved = reserved + {q}, updated_at = {now} "
    "WHERE sku = {sku} AND warehouse_id = {w} AND on_hand - reserved >= {q}"
)
_RESERVE_SQL = {
    "postgresql": _RESERVE.format(q="%(q)s", now="%(now)s", sku="%(sku)s", w="%(w)s"),
    "sqlite": _RESERVE.format(q=":q", now=":now", sku=":sku", w=":w"),
}
_UNRESERVE = text(
    "UPDATE stock SET reserved = reserved - :q, updated_at = :now WHERE sku = :sku AND warehouse_id = :w"
)
_DEDUCT = text(
    "UPDATE stock SET reserved = reserved - :q, on_hand = on_hand - :q, updated_at = :now "
    "WHERE sku = :sku AND warehouse_id = :w"
)
_LEDGER_COLUMNS = (
    "at",
    "sku",
    "warehouse_id",
    "kind",
    "on_hand_delta",
    "reserved_delta",
    "shop_id",
    "order_no",
    "actor",
    "note",
)


@dataclass(frozen=True, slots=True)
class Reserved:
    ok: bool
    warehouse: str = ""  # code of the warehouse that holds the order's stock
    short: tuple[str, ...] = ()  # stock SKUs no warehouse could cover (when not ok)
    already: bool = False  # the order held a reservation before this call


def warehouse_order(conn: Connection) -> list[tuple[int, str]]:
    w = warehouses.c
    return [(row.id, row.code) for row in conn.execute(select(w.id, w.code).order_by(w.rank, w.id))]


def reserve_orders(
    conn: Connection, orders: Sequence[tuple[OrderKey, Needs]], now: datetime, actor: str = SYSTEM
) -> dict[OrderKey, Reserved]:
    """Reserve each order's needs (all or none per order) inside the caller's transaction."""
    held = _active(conn, [key for key, _ in orders])
    sites = warehouse_order(conn)
    if conn.dialect.name == "postgresql":
        lock_rows(conn, {sku for _, needs in orders for sku, _ in needs})
    results: dict[OrderKey, Reserved] = {}
    # the driver's own cursor: a line costs one statement and nothing else (SQLAlchemy's per-statement work
    # was three times the UPDATE itself, bench/reserve); the UPDATE runs in the caller's transaction
    cursor = conn.connection.cursor()
    sql = _RESERVE_SQL[conn.dialect.name]
    dry: dict[tuple[str, int], int] = {}
    taken: list[tuple[OrderKey, int, str, int]] = []
    for key, needs in orders:
        if key in held:
            results[key] = Reserved(True, held[key], already=True)
            continue
        if not needs:
            results[key] = Reserved(True)
            continue
        results[key] = _reserve_one(cursor, sql, needs, sites, now, dry)
        if results[key].ok:
            site = next(i for i, code in sites if code == results[key].warehouse)
            taken += [(key, site, sku, quantity) for sku, quantity in needs]
    insert_rows(
        conn,
        reservations,
        [(s, o, sku, w, q, "reserved", now) for (s, o), w, sku, q in taken],
        ("shop_id", "order_no", "sku", "warehouse_id", "quantity", "state", "created_at"),
    )
    insert_rows(
        conn,
        stock_ledger,
        [(now, sku, w, "reserve", 0, q, s, o, actor, "") for (s, o), w, sku, q in taken],
        _LEDGER_COLUMNS,
    )
    return results


def _reserve_one(
    cursor: Any,
    sql: str,
    needs: Needs,
    sites: list[tuple[int, str]],
    now: datetime,
    dry: dict[tuple[str, int], int],
) -> Reserved:
    """`dry` remembers, per (SKU, warehouse), the smallest quantity refused in this batch: the rows are ours
    until commit, so a larger one would be refused too and is not asked again (once the first warehouse
    runs dry, orders fall back to the next one without a wasted UPDATE each). A line costs one round trip
    to the server, which is most of its cost: an order's lines sent together in a psycopg pipeline measured
    slower (the pipeline's own sync round trips), so each line is one plain statement."""
    short: set[str] = set()
    covered: set[str] = set()  # lines some warehouse had: not short, though the order failed there
    for site, code in sites:
        done: list[tuple[str, int]] = []
        for sku, quantity in needs:
            if quantity >= dry.get((sku, site), quantity + 1):
                short.add(sku)
                break
            cursor.execute(sql, {"q": quantity, "now": now, "sku": sku, "w": site})
            if cursor.rowcount != 1:
                dry[(sku, site)] = quantity
                short.add(sku)
                break
            done.append((sku, quantity))
        else:
            return Reserved(True, code)
        # all or none: give back what this order took in this warehouse, in the same transaction (the
        # rows stay locked by it, so this restores exactly the values before)
        for sku, quantity in done:
            cursor.execute(sql, {"q": -quantity, "now": now, "sku": sku, "w": site})
        covered.update(sku for sku, _ in done)
    if not sites:  # no warehouse yet: every line is short
        return Reserved(False, short=tuple(sku for sku, _ in needs))
    # A warehouse that does not stock the order's first SKU fails on it, so without `covered` the reason
    # would name SKUs that are on the shelf elsewhere. Something is always left: the line that failed
    # furthest into the order was refused wherever it was reached.
    return Reserved(False, short=tuple(sorted(short - covered)))


def lock_rows(conn: Connection, skus: set[str]) -> None:
    if skus:
        conn.execute(
            select(stock.c.id).where(stock.c.sku.in_(sorted(skus))).order_by(stock.c.id).with_for_update()
        ).all()


def _active(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, str]:
    """The warehouse code of each order that holds a live reservation."""
    wanted = set(keys)
    if not wanted:
        return {}
    r, w = reservations.c, warehouses.c
    shop_ids = sorted({shop for shop, _ in wanted})
    found: dict[OrderKey, str] = {}
    for chunk in _chunks(sorted({no for _, no in wanted}), 500):
        query = (
            select(r.shop_id, r.order_no, w.code)
            .join(warehouses, w.id == r.warehouse_id)
            .where(r.state == "reserved", r.shop_id.in_(shop_ids), r.order_no.in_(chunk))
        )
        for row in conn.execute(query):
            if (row.shop_id, row.order_no) in wanted:
                found[(row.shop_id, row.order_no)] = row.code
    return found


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def release_orders(
    conn: Connection, keys: Sequence[OrderKey], now: datetime, actor: str = SYSTEM, note: str = ""
) -> int:
    """Give back what these orders hold (cancel, hold): returns how many stock lines were released."""
    return _close(conn, keys, now, actor, note, "released")


def deduct_orders(
    conn: Connection,
    keys: Sequence[OrderKey],
    now: datetime,
    actor: str = SYSTEM,
    note: str = "",
    part: int | None = None,
) -> int:
    """The goods left: on-hand and reserved both go down by what each order held (only what shipment part
    `part` of a split order holds, when given: lanshou.inventory.parts)."""
    return _close(conn, keys, now, actor, note, "deducted", part)


def _close(
    conn: Connection,
    keys: Sequence[OrderKey],
    now: datetime,
    actor: str,
    note: str,
    state: str,
    part: int | None = None,
) -> int:
    r = reservations.c
    live: list[Any] = []
    for shop_id, order_no in keys:
        query = select(r.id, r.sku, r.warehouse_id, r.quantity, r.shop_id, r.order_no).where(
            r.shop_id == shop_id, r.order_no == order_no, r.state == "reserved"
        )
        if part is not None:
            query = query.where(r.part == part)
        live += conn.execute(query.order_by(r.sku)).all()
    if live and conn.dialect.name == "postgresql":
        lock_rows(conn, {row.sku for row in live})  # the same lock order as reserving: no deadlock
    ledger: list[tuple[object, ...]] = []
    kind = "deduct" if state == "deducted" else "release"
    for row in live:
        # the state change is conditional too: two processes closing the same order close it once
        closed = conn.execute(
            reservations.update()
            .where(r.id == row.id, r.state == "reserved")
            .values(state=state, closed_at=now)
        ).rowcount
        if closed != 1:
            continue
        params = {"q": row.quantity, "now": now, "sku": row.sku, "w": row.warehouse_id}
        conn.execute(_DEDUCT if state == "deducted" else _UNRESERVE, params)
        on_hand = -row.quantity if state == "deducted" else 0
        ledger.append(
            (
                now,
                row.sku,
                row.warehouse_id,
                kind,
                on_hand,
                -row.quantity,
                row.shop_id,
                row.order_no,
                actor,
                note,
            )
        )
    insert_rows(conn, stock_ledger, ledger, _LEDGER_COLUMNS)
    return len(ledger)
