"""Counts for the `lanshou run` terminal summary: per shop and per carrier, straight from the tables; what
review, stock and the waybill pools hold, through their areas' queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, case, func, select

from lanshou import schema as s
from lanshou.inventory.queries import list_stock
from lanshou.review.paging import ready_count
from lanshou.review.queries import held_counts
from lanshou.shipping.pool_store import pool_counts
from lanshou.shops.store import load_shops
from lanshou.tracking.status import TrackingStatus

CLOSED = ("cancelled", "refunded")
FAILED = ("returned", "rejected", "lost", "returning")


@dataclass(frozen=True, slots=True)
class ShopCounts:
    platform: str
    shop: str
    orders: int
    paid: int
    shipped: int
    picked_up: int
    delivered: int
    awaiting_pickup: int  # paid, not cancelled/refunded, no carrier scan yet


@dataclass(frozen=True, slots=True)
class CarrierCounts:
    carrier: str
    parcels: int
    picked_up: int
    delivered: int
    no_scan: int  # tracking number but no carrier scan (虚假发货 risk)
    failed: int  # returned, rejected, lost


@dataclass(frozen=True, slots=True)
class FulfilmentCounts:
    ready: int  # shipments review accepted and not shipped yet (a 合单 group once)
    held: int  # paid orders review held
    held_for_stock: int  # of them, held for stock alone (缺货)
    skus: int  # stock rows (SKU × warehouse)
    low: int  # of them, at or below the safety level
    pools: tuple[tuple[str, int], ...]  # (carrier, waybill numbers available)

    @property
    def anything(self) -> bool:
        return bool(self.ready or self.held or self.skus or self.pools)


def _parcel_flags() -> Select[Any]:
    """One row per parcel: was it scanned, delivered, failed?"""
    ev, p = s.tracking_events, s.parcels
    scanned = func.max(case((ev.c.status != TrackingStatus.INFO_RECEIVED.value, 1), else_=0))
    delivered = func.max(case((ev.c.status == TrackingStatus.DELIVERED.value, 1), else_=0))
    failed = func.max(case((ev.c.status.in_(FAILED), 1), else_=0))
    return (
        select(
            p.c.shop_id,
            p.c.tracking_no,
            p.c.carrier,
            func.coalesce(scanned, 0).label("scanned"),
            func.coalesce(delivered, 0).label("delivered"),
            func.coalesce(failed, 0).label("failed"),
        )
        .select_from(p.outerjoin(ev, ev.c.tracking_no == p.c.tracking_no))
        .group_by(p.c.id, p.c.shop_id, p.c.tracking_no, p.c.carrier)
    )


def shop_counts(conn: Connection) -> list[ShopCounts]:
    p, link = _parcel_flags().subquery(), s.parcel_orders
    per_order = (  # an order is scanned when any parcel it rides in is (a merged parcel counts for each)
        select(
            link.c.shop_id,
            link.c.order_no,
            func.max(p.c.scanned).label("scanned"),
            func.max(p.c.delivered).label("delivered"),
        )
        .select_from(link.join(p, (p.c.shop_id == link.c.shop_id) & (p.c.tracking_no == link.c.tracking_no)))
        .group_by(link.c.shop_id, link.c.order_no)
        .subquery()
    )
    o = s.orders
    paid = o.c.paid_at.is_not(None)
    scanned = func.coalesce(per_order.c.scanned, 0) == 1
    waiting = paid & o.c.status.not_in(CLOSED) & ~scanned
    query = (
        select(
            s.shops.c.platform,
            s.shops.c.name,
            func.count(o.c.id),
            func.count(case((paid, 1))),
            func.count(per_order.c.order_no),
            func.count(case((scanned, 1))),
            func.count(case((per_order.c.delivered == 1, 1))),
            func.count(case((waiting, 1))),
        )
        .select_from(
            s.shops.join(o, o.c.shop_id == s.shops.c.id).outerjoin(
                per_order, (per_order.c.shop_id == o.c.shop_id) & (per_order.c.order_no == o.c.order_no)
            )
        )
        .group_by(s.shops.c.id, s.shops.c.platform, s.shops.c.name)
        .order_by(s.shops.c.id)
    )
    return [ShopCounts(*row) for row in conn.execute(query)]


def carrier_counts(conn: Connection) -> list[CarrierCounts]:
    p = _parcel_flags().subquery()
    query = (
        select(
            p.c.carrier,
            func.count(),
            func.sum(p.c.scanned),
            func.sum(p.c.delivered),
            func.count(case((p.c.scanned == 0, 1))),
            func.sum(p.c.failed),
        )
        .group_by(p.c.carrier)
        .order_by(func.count().desc(), p.c.carrier)
    )
    return [CarrierCounts(row[0], *(int(v or 0) for v in row[1:])) for row in conn.execute(query)]


def counts(engine: Engine) -> tuple[list[ShopCounts], list[CarrierCounts]]:
    with engine.connect() as conn:
        return shop_counts(conn), carrier_counts(conn)


def fulfilment_counts(engine: Engine) -> FulfilmentCounts:
    with engine.connect() as conn:
        ready = ready_count(conn, list(load_shops(conn)))
        held, for_stock = held_counts(conn)
        stock = list_stock(conn)
        pools = tuple((c.carrier, c.available) for c in pool_counts(conn))
    low = sum(1 for row in stock if row.low)
    return FulfilmentCounts(ready, held, for_stock, len(stock), low, pools)
