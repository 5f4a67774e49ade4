"""Returned goods come back to the shelf: a received return that passed inspection is restocked into the
warehouse the order shipped from; a write-off changes no stock (it left on shipping) and is only noted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from lanshou.events import EventBus, ReturnReceived, StockArrived
from lanshou.inventory.counts import add_on_hand
from lanshou.inventory.mapping import load_map
from lanshou.inventory.reserve import warehouse_order
from lanshou.inventory.tables import reservations
from lanshou.orders.timeline import TimelineEntry, record


def take_back(
    conn: Connection, event: ReturnReceived, now: datetime, events: EventBus
) -> list[tuple[str, int]]:
    """Apply one received return in the caller's transaction; returns the (stock SKU, quantity) restocked."""
    if event.disposition != "restock":
        note = f"报损 written off: return {event.case_no}, " + ", ".join(f"{s}×{q}" for s, q in event.lines)
        record(conn, [TimelineEntry(event.shop_id, event.order_no, now, "return_written_off", note)])
        return []
    needs = load_map(conn).needs(event.shop_id, event.lines)
    shipped_from = _shipped_from(conn, event.shop_id, event.order_no)
    fallback = warehouse_order(conn)
    note = f"退货入库 return {event.case_no}"
    restocked = []
    for sku, quantity in needs:
        site = shipped_from.get(sku) or (fallback[0][0] if fallback else None)
        if site is None:
            continue  # no warehouse defined: nothing to put the goods back into
        add_on_hand(
            conn,
            sku,
            site,
            quantity,
            now,
            "return",
            note=note,
            shop_id=event.shop_id,
            order_no=event.order_no,
        )
        restocked.append((sku, quantity))
    if restocked:
        detail = "退货入库 restocked: " + ", ".join(f"{s}×{q}" for s, q in restocked)
        record(conn, [TimelineEntry(event.shop_id, event.order_no, now, "stock_returned", detail)])
        events.publish(conn, StockArrived(tuple(s for s, _ in restocked)))
    return restocked


def _shipped_from(conn: Connection, shop_id: int, order_no: str) -> dict[str, int]:
    r = reservations.c
    query = select(r.sku, r.warehouse_id).where(
        r.shop_id == shop_id, r.order_no == order_no, r.state == "deducted"
    )
    return {row.sku: row.warehouse_id for row in conn.execute(query)}
