"""What other areas may ask of tracking: the parcels of orders, the orders a parcel carries, and selects to
join on. Other areas never read the link table (parcel_orders) themselves.

A parcel may carry several orders (合并发货) and an order travel in several parcels (拆单); both directions
are answered here. An order's parcels come in the order they were first stored (a stable sort key).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, and_, select

from lanshou.orders.keys import CHUNK, OrderKey
from lanshou.tracking.tables import parcel_orders, parcels, tracking_events

_CARRIES = and_(
    parcels.c.shop_id == parcel_orders.c.shop_id, parcels.c.tracking_no == parcel_orders.c.tracking_no
)


class StoredParcel(NamedTuple):
    tracking_no: str
    carrier: str
    shipped_at: datetime | None  # naive UTC


def orders_of(conn: Connection, tracking_numbers: Iterable[str]) -> list[OrderKey]:
    """The orders these tracking numbers carry (a merged parcel carries several), each once."""
    numbers = sorted(set(tracking_numbers))
    keys: set[OrderKey] = set()
    for start in range(0, len(numbers), CHUNK):
        query = select(parcel_orders.c.shop_id, parcel_orders.c.order_no).where(
            parcel_orders.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        keys.update((r.shop_id, r.order_no) for r in conn.execute(query))
    return sorted(keys)


def parcels_of(conn: Connection, shop_id: int, order_nos: list[str]) -> dict[str, list[StoredParcel]]:
    """Every parcel of each of these orders (of one shop), in the order the parcels were first stored."""
    found: dict[str, list[StoredParcel]] = defaultdict(list)
    for start in range(0, len(order_nos), CHUNK):
        query = (
            select(parcel_orders.c.order_no, parcels.c.tracking_no, parcels.c.carrier, parcels.c.shipped_at)
            .select_from(parcel_orders.join(parcels, _CARRIES))
            .where(
                parcel_orders.c.shop_id == shop_id,
                parcel_orders.c.order_no.in_(order_nos[start : start + CHUNK]),
            )
            .order_by(parcels.c.id)
        )
        for order_no, *parcel in conn.execute(query):
            found[order_no].append(StoredParcel(*parcel))
    return dict(found)


def orders_carried(conn: Connection, shop_id: int, tracking_numbers: Iterable[str]) -> dict[str, list[str]]:
    """The numbers of the orders (of this shop) each of these parcels carries, smallest first."""
    numbers = sorted(set(tracking_numbers))
    found: dict[str, list[str]] = defaultdict(list)
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(parcel_orders.c.tracking_no, parcel_orders.c.order_no)
            .where(
                parcel_orders.c.shop_id == shop_id,
                parcel_orders.c.tracking_no.in_(numbers[start : start + CHUNK]),
            )
            .order_by(parcel_orders.c.tracking_no, parcel_orders.c.order_no)
        )
        for tracking_no, order_no in conn.execute(query):
            found[tracking_no].append(order_no)
    return dict(found)


def parcels_by_number(
    conn: Connection, shop_id: int, tracking_numbers: Iterable[str]
) -> dict[str, StoredParcel]:
    """These parcels of a shop, by tracking number (those stored)."""
    numbers = sorted(set(tracking_numbers))
    found: dict[str, StoredParcel] = {}
    for start in range(0, len(numbers), CHUNK):
        query = select(parcels.c.tracking_no, parcels.c.carrier, parcels.c.shipped_at).where(
            parcels.c.shop_id == shop_id, parcels.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        found.update((row.tracking_no, StoredParcel(*row)) for row in conn.execute(query))
    return found


def orders_scanned_between(start: datetime, end: datetime) -> Select[tuple[int, str]]:
    """A select of (shop_id, order_no): orders a parcel of which has a carrier event in [start, end)."""
    e = tracking_events
    return (
        select(parcel_orders.c.shop_id, parcel_orders.c.order_no)
        .select_from(parcel_orders.join(e, e.c.tracking_no == parcel_orders.c.tracking_no))
        .where(e.c.event_time >= start, e.c.event_time < end)
    )


def order_parcels() -> Select[Any]:
    """A select of (shop_id, order_no, parcel_id, carrier, tracking_no): one row per parcel of each order,
    to join on (parcel_id orders an order's parcels as parcels_of does)."""
    return select(
        parcel_orders.c.shop_id,
        parcel_orders.c.order_no,
        parcels.c.id.label("parcel_id"),
        parcels.c.carrier,
        parcels.c.tracking_no,
    ).select_from(parcel_orders.join(parcels, _CARRIES))
