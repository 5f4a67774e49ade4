"""The at-risk queue (METRICS.md), DB side: select the candidate orders, load their facts, call the pure
queue functions (lanshou.sla.queue).

Candidates are selected in SQL so the queue stays quick on a large database: orders still `paid` or
`shipped` (not cancelled, refunded, delivered or completed) and paid in the last `lookback_days` before
`now`. The pure functions then keep those not yet scanned (the queue) and the stalled parcels.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select

from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import pack_for
from lanshou.metrics.source import iter_facts
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.orders.status import OrderStatus
from lanshou.shops.model import ShopInfo, only_shops, select_shops
from lanshou.shops.store import load_shops
from lanshou.sla.queue import QueueEntry, StalledParcel, at_risk_queue, stalled_parcels
from lanshou.tracking.queue_scan import orders_worth_a_look

OPEN_STATUSES = (OrderStatus.PAID.value, OrderStatus.SHIPPED.value)
LOOKBACK_DAYS = 15
BATCH = 2000


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
    """Open orders (paid or shipped) of the shops paid in the `lookback_days` before `now`."""
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


def candidate_facts(
    conn: Connection, shops: dict[int, ShopInfo], now: datetime, lookback_days: int = LOOKBACK_DAYS
) -> list[OrderFact]:
    """The facts of the candidates that can still be in the queue or carry a stalled parcel at `now`
    (tracking says which, in SQL): most open orders are in transit and fresh, and loading their events
    was most of the queue's time. The rest keep the candidates' order (a parcel shared by several orders
    is listed under the same one as before)."""
    keys = candidate_keys(conn, list(shops), now, lookback_days) if shops else []
    if keys:
        gap = min(pack_for(info).freshness_gap_hours for info in shops.values())
        wanted = orders_worth_a_look(conn, keys, now, now - timedelta(hours=gap))
        keys = [key for key in keys if key in wanted]
    return list(iter_facts(conn, keys, shops, BATCH))


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
        facts = candidate_facts(conn, shops, now, lookback_days)
    infos = list(shops.values())
    entries = at_risk_queue(facts, infos, now, within_hours)
    return QueueReport(now, within_hours, entries, stalled_parcels(facts, infos, now), infos)
