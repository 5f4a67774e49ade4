"""What the at-risk queue asks of tracking before it loads any facts: which of its candidate orders can
still matter at `now`.

An open order matters to the queue only while no parcel of it has a carrier scan (any status but
info_received) by `now`, and to the stalled list only through a parcel silent for more than the freshness
gap G at `now`: its last event by `now` is more than G old. Both are answered in SQL for the candidates
only; the queue's pure functions still decide each order from its full facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.orders.keys import OrderKey
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.tables import parcel_orders, parcels, tracking_events

link, p, e = parcel_orders.c, parcels.c, tracking_events.c


def orders_worth_a_look(
    conn: Connection, keys: Sequence[OrderKey], now: datetime, silent_since: datetime
) -> set[OrderKey]:
    """Those of `keys` with no carrier scan by `now` on any parcel, or carrying a parcel whose last event
    by `now` is older than `silent_since` (now - the smallest freshness gap of the shops)."""
    if not keys:
        return set()
    scanned_query = (
        select(link.shop_id, link.order_no)
        .select_from(_carried(conn, keys))
        .where(e.status != TrackingStatus.INFO_RECEIVED.value, e.event_time <= now)
        .distinct()
    )
    scanned = {(row[0], row[1]) for row in conn.execute(scanned_query)}
    return {key for key in keys if key not in scanned} | silent_orders(conn, keys, now, silent_since)


def silent_orders(
    conn: Connection, keys: Sequence[OrderKey], now: datetime, silent_since: datetime
) -> set[OrderKey]:
    """Those of `keys` carrying a parcel whose last event by `now` is older than `silent_since`."""
    if not keys:
        return set()
    silent_query = (
        select(link.shop_id, link.order_no)
        .select_from(_carried(conn, keys))
        .where(e.event_time <= now)
        .group_by(link.shop_id, link.order_no, link.tracking_no)
        .having(func.max(e.event_time) < silent_since)
    )
    return {(row[0], row[1]) for row in conn.execute(silent_query)}


def _carried(conn: Connection, keys: Sequence[OrderKey]) -> Any:
    """The orders' parcels and their events (a key set of the orders: one set-based look-up)."""
    k = keyset(conn, keys, ORDER_KEY)
    return (
        parcel_orders.join(k, and_(link.shop_id == k.c.shop_id, link.order_no == k.c.order_no))
        .join(parcels, and_(p.shop_id == link.shop_id, p.tracking_no == link.tracking_no))
        .join(tracking_events, e.tracking_no == link.tracking_no)
    )
