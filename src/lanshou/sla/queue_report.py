"""The at-risk queue (METRICS.md), DB side: select the candidate orders, call the pure queue functions
(lanshou.sla.queue).

Candidates are open orders (still `paid` or `shipped`: not cancelled, refunded, delivered or completed) paid
in the last `lookback_days` before `now`. Their deadlines and first scan are kept by the rollup upkeep
(lanshou.metrics.queue_store), so the waiting ones are read without loading facts; only the orders marked
since the last refresh (or with no kept row) and those that can carry a stalled parcel at `now` are loaded
and judged from their facts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import pack_for
from lanshou.metrics.queue_store import (
    OPEN_STATUSES,
    KeptOrder,
    may_stall,
    unsettled_candidates,
    waiting_orders,
)
from lanshou.metrics.source import iter_facts
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.shops.model import ShopInfo, only_shops, select_shops
from lanshou.shops.store import load_shops
from lanshou.sla.queue import (
    QueueEntry,
    StalledParcel,
    Waiting,
    queue_entry,
    queue_order,
    stalled_parcels,
    waiting_entry,
)
from lanshou.tracking.queue_scan import orders_worth_a_look, silent_orders

LOOKBACK_DAYS = 15
BATCH = 2000

Candidate = tuple[int, str, datetime, int]  # shop_id, order_no, paid_at, orders.id


@dataclass(frozen=True)
class QueueReport:
    now: datetime  # naive UTC
    within_hours: float
    entries: list[QueueEntry]  # most urgent first
    stalled: list[StalledParcel]  # longest silence first
    shops: list[ShopInfo]

    @property
    def overdue(self) -> int:
        return sum(e.overdue for e in self.entries)

    @property
    def at_risk(self) -> int:
        return sum(e.at_risk for e in self.entries)


def candidate_keys(
    conn: Connection, shop_ids: list[int], now: datetime, lookback_days: int = LOOKBACK_DAYS
) -> list[OrderKey]:
    """Open orders (paid or shipped) of the shops paid in the `lookback_days` before `now`, in the order
    the queue meets them (paid_at, id)."""
    o = ot.orders
    query = (
        select(o.c.shop_id, o.c.order_no)
        .where(
            o.c.shop_id.in_(shop_ids),
            o.c.status.in_(OPEN_STATUSES),
            o.c.paid_at >= now - timedelta(days=lookback_days),
            o.c.paid_at <= now,
        )
        .order_by(o.c.paid_at, o.c.id)
    )
    return [(r.shop_id, r.order_no) for r in conn.execute(query)]


@dataclass
class _Found:
    kept: list[KeptOrder]  # waiting at `now`, read from their kept rows
    facts: list[OrderFact]  # the rest worth judging, in orders.id order
    ids: dict[tuple[str, str, str], int]  # (platform, shop, order_no) of each fact -> orders.id


def _find(conn: Connection, shops: dict[int, ShopInfo], now: datetime, lookback_days: int) -> _Found:
    """Kept rows for the settled candidates; facts for the unsettled ones tracking says can matter at `now`
    (no scan yet, or a parcel silent for longer than the smallest freshness gap) and for the settled ones
    that can carry a stalled parcel and have one silent that long."""
    silent_since = now - timedelta(hours=min(pack_for(info).freshness_gap_hours for info in shops.values()))
    unsettled = unsettled_candidates(conn, shops, now, lookback_days)
    judged = {(c[0], c[1]) for c in unsettled}
    wanted = orders_worth_a_look(conn, [(c[0], c[1]) for c in unsettled], now, silent_since)
    may = [c for c in may_stall(conn, shops, now, lookback_days, silent_since) if (c[0], c[1]) not in judged]
    silent = silent_orders(conn, [(c[0], c[1]) for c in may], now, silent_since)
    chosen = [c for c in unsettled if (c[0], c[1]) in wanted] + [c for c in may if (c[0], c[1]) in silent]
    ids = {(shops[c[0]].platform, shops[c[0]].shop, c[1]): c[3] for c in chosen}
    facts = list(iter_facts(conn, [(c[0], c[1]) for c in chosen], shops, BATCH))
    # a parcel carried by several orders is listed under the one stored first (the smallest orders.id), as
    # the full pass did (it loaded the candidates in batches of 2,000, each in id order)
    facts.sort(key=lambda f: ids[(f.platform, f.shop, f.order_no)])
    packs = {shop_id: pack_for(info) for shop_id, info in shops.items()}
    waiting = waiting_orders(conn, shops, packs, now, lookback_days)
    kept = [k for k in waiting if (k.shop_id, k.order_no) not in judged]
    return _Found(kept, facts, ids)


def _entries(found: _Found, shops: dict[int, ShopInfo], now: datetime, within: float) -> list[QueueEntry]:
    """Every waiting order's entry, in the queue's order; full ties go by orders.id, as in the full pass
    (which sorts, stably, the candidates taken in (paid_at, id) order)."""
    ranked: list[tuple[QueueEntry, int]] = []
    for k in found.kept:
        info = shops[k.shop_id]
        waiting = Waiting(
            info.platform,
            info.shop,
            k.order_no,
            k.paid_at,
            k.pickup_deadline,
            k.promised_ship_by,
            k.has_waybill,
            k.carrier,
            k.skus,
            k.warehouse,
        )
        ranked.append((waiting_entry(waiting, now, within), k.order_id))
    packs = {(s.platform, s.shop): pack_for(s) for s in shops.values()}
    for fact in found.facts:
        entry = queue_entry(fact, packs[(fact.platform, fact.shop)], now, within)
        if entry is not None:
            ranked.append((entry, found.ids[(fact.platform, fact.shop, fact.order_no)]))
    ranked.sort(key=lambda pair: (*queue_order(pair[0]), pair[1]))
    return [entry for entry, _ in ranked]


def queue_report(
    engine: Engine,
    now: datetime,
    within_hours: float = 6.0,
    shop: str | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    shop_ids: Collection[int] | None = None,
) -> QueueReport:
    """The queue at `now` (naive UTC), among `shop_ids` when given. Raises LookupError for an unknown shop."""
    with engine.connect() as conn:
        shops = only_shops(select_shops(load_shops(conn), shop), shop_ids)
        found = _find(conn, shops, now, lookback_days) if shops else _Found([], [], {})
    infos = list(shops.values())
    entries = _entries(found, shops, now, within_hours)
    return QueueReport(now, within_hours, entries, stalled_parcels(found.facts, infos, now), infos)
