"""The at-risk queue's deadlines kept current (revision 0023): one row per open order, written by the rollup
upkeep beside its `metric_orders` row, read back by the queue for any `now` without loading facts.

What depends on `now` is decided in SQL from the kept times, exactly as lanshou.sla.queue decides it from
the facts: an order is waiting for pickup at `now` when its first carrier scan (known from every event) is
later than `now` or missing; a parcel can be stalled at `now` only when the order was scanned by `now` and
not every parcel was delivered by `now` and one parcel was last heard of before the silence began (the
facts of those few are still loaded and judged). Orders marked
since the last refresh, or open without a kept row, are left to the caller, who judges them from raw rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, exists, select

from lanshou.db.keyset import ORDER_KEY, keyset
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.miss_candidates import marked_orders
from lanshou.metrics.miss_store import strings_json
from lanshou.metrics.packs import RulePack
from lanshou.metrics.rules import delivered_at, order_pickup, pickup_deadline, promised_ship_time
from lanshou.metrics.tables import metric_queue
from lanshou.orders import tables as ot
from lanshou.orders.status import OrderStatus
from lanshou.shops.model import ShopInfo

OPEN_STATUSES = (OrderStatus.PAID.value, OrderStatus.SHIPPED.value)


@dataclass(frozen=True, slots=True)
class KeptOrder:
    """An open order as the queue sees it, from its kept row; `order_id` (orders.id) breaks the queue's last
    ties as the full pass does (it takes the candidates in (paid_at, id) order)."""

    shop_id: int
    order_no: str
    order_id: int
    paid_at: datetime
    pickup_deadline: datetime | None
    promised_ship_by: datetime | None
    has_waybill: bool
    carrier: str
    skus: tuple[str, ...]
    warehouse: str


def derive_queue_row(order: OrderFact) -> dict[str, Any] | None:
    """The metric_queue row (minus its key) of one order; None when it is unpaid or not open."""
    if order.paid_at is None or order.status not in OPEN_STATUSES:
        return None
    deliveries = [delivered_at(parcel) for parcel in order.parcels]
    every_delivered = bool(deliveries) and None not in deliveries
    last_events = [max(e.time for e in parcel.events) for parcel in order.parcels if parcel.events]
    return {
        "paid_at": order.paid_at,
        "first_scan_at": order_pickup(order),
        "delivered_at": max(d for d in deliveries if d is not None) if every_delivered else None,
        "oldest_last_event": min(last_events, default=None),
        "newest_event": max(last_events, default=None),
        "categories": strings_json(order.categories),
        "has_waybill": bool(order.parcels),
        "carrier": next((p.carrier for p in order.parcels), ""),
        "skus": strings_json(order.skus),
        "warehouse": order.warehouse,
    }


def _candidates(shops: Mapping[int, ShopInfo], now: datetime, lookback_days: int) -> Any:
    """Open orders of the shops paid in the `lookback_days` before `now` (the queue's candidates)."""
    o = ot.orders.c
    return select(o.shop_id, o.order_no, o.paid_at, o.id).where(
        o.shop_id.in_(list(shops)),
        o.status.in_(OPEN_STATUSES),
        o.paid_at >= now - timedelta(days=lookback_days),
        o.paid_at <= now,
    )


def unsettled_candidates(
    conn: Connection, shops: Mapping[int, ShopInfo], now: datetime, lookback_days: int
) -> list[tuple[int, str, datetime, int]]:
    """The candidates whose kept row may be out of date (marked, themselves or a parcel's tracking number,
    since the last refresh) or missing: (shop_id, order_no, paid_at, orders.id) in the candidates' order."""
    o, q = ot.orders.c, metric_queue.c
    kept = exists().where(q.shop_id == o.shop_id, q.order_no == o.order_no)
    found = {tuple(row) for row in conn.execute(_candidates(shops, now, lookback_days).where(~kept))}
    marked = marked_orders(conn, shops)
    if marked:
        k = keyset(conn, marked, ORDER_KEY)
        query = _candidates(shops, now, lookback_days).join_from(
            ot.orders, k, (k.c.shop_id == o.shop_id) & (k.c.order_no == o.order_no)
        )
        found |= {tuple(row) for row in conn.execute(query)}
    return sorted(((r[0], r[1], r[2], r[3]) for r in found), key=lambda c: (c[2], c[3]))


def waiting_orders(
    conn: Connection,
    shops: Mapping[int, ShopInfo],
    packs: Mapping[int, RulePack],
    now: datetime,
    lookback_days: int,
) -> list[KeptOrder]:
    """Kept candidates with no carrier scan by `now` (the caller drops the unsettled ones), their deadlines
    made with the shops' `packs` by the rules (lanshou.metrics.rules) from the order's own columns and the
    kept categories: a rule-pack change shows at once, as when the queue judged every order's facts."""
    q, o = metric_queue.c, ot.orders.c
    query = (
        _candidates(shops, now, lookback_days)
        .add_columns(o.status, o.is_presale, o.promised_ship_by, q.categories)
        .add_columns(q.has_waybill, q.carrier, q.skus, q.warehouse)
        .join_from(ot.orders, metric_queue, (q.shop_id == o.shop_id) & (q.order_no == o.order_no))
        .where(q.first_scan_at.is_(None) | (q.first_scan_at > now))
    )
    found = []
    for r in conn.execute(query):
        info, paid = shops[r[0]], r[2]
        terms = OrderFact(
            info.platform, info.shop, r[1], r[4], paid, paid, bool(r[5]), r[6], categories=_texts(r[7])
        )
        pack = packs[r[0]]
        deadline, promised = pickup_deadline(terms, pack), promised_ship_time(terms, pack)
        found.append(
            KeptOrder(r[0], r[1], r[3], paid, deadline, promised, bool(r[8]), r[9], _texts(r[10]), r[11])
        )
    return found


def may_stall(
    conn: Connection,
    shops: Mapping[int, ShopInfo],
    now: datetime,
    lookback_days: int,
    silent_since: datetime,
) -> list[tuple[int, str, datetime, int]]:
    """Kept candidates that can carry a parcel silent since `silent_since` and stalled at `now`: scanned by
    `now`, not every parcel delivered by `now`, and a parcel whose last event is older than `silent_since`
    (or events after `now`: then what was last by `now` is not kept, and the caller asks the events);
    (shop_id, order_no, paid_at, orders.id)."""
    q, o = metric_queue.c, ot.orders.c
    query = (
        _candidates(shops, now, lookback_days)
        .join_from(ot.orders, metric_queue, (q.shop_id == o.shop_id) & (q.order_no == o.order_no))
        .where(
            q.first_scan_at <= now,
            q.delivered_at.is_(None) | (q.delivered_at > now),
            (q.oldest_last_event < silent_since) | (q.newest_event > now),
        )
    )
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


@lru_cache(maxsize=4096)
def _texts(stored: str) -> tuple[str, ...]:
    return tuple(json.loads(stored))  # many orders share a list of SKUs or categories: parse each once
