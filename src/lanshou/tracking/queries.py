"""What other areas may ask of tracking: the parcels of orders, the orders a parcel carries, and selects to
join on. Other areas never read the link table (parcel_orders) themselves.

A parcel may carry several orders (合并发货) and an order travel in several parcels (拆单); both directions
are answered here. An order's parcels come in the order they were first stored (a stable sort key).
Tracking itself asks here too: the lanes of parcels, and the alert scan's indexed selections.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, and_, false, func, or_, select

from lanshou.db.driver_reads import tuples
from lanshou.db.keyset import ORDER_KEY, PARCEL_KEY, TRACKING_NO, keyset
from lanshou.orders.keys import OrderKey
from lanshou.orders.tables import order_lines, orders
from lanshou.shops.tables import shops
from lanshou.tracking.provinces import province_of
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.tables import parcel_orders, parcel_state, parcels, tracking_events

_CARRIES = and_(
    parcels.c.shop_id == parcel_orders.c.shop_id, parcels.c.tracking_no == parcel_orders.c.tracking_no
)


ParcelKey = tuple[int, str]  # (shop id, tracking number)


class StoredParcel(NamedTuple):
    tracking_no: str
    carrier: str
    shipped_at: datetime | None  # naive UTC


def orders_of(conn: Connection, tracking_numbers: Iterable[str]) -> list[OrderKey]:
    """The orders these tracking numbers carry (a merged parcel carries several), each once."""
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    link = parcel_orders
    query = (
        select(link.c.shop_id, link.c.order_no)
        .select_from(link.join(k, link.c.tracking_no == k.c.tracking_no))
        .distinct()
    )
    return sorted((shop_id, order_no) for shop_id, order_no in conn.execute(query).all())


def orders_by_parcel(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[OrderKey]]:
    """Each tracking number's orders (numbers without an order yet are absent)."""
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    link = parcel_orders
    query = select(link.c.tracking_no, link.c.shop_id, link.c.order_no).select_from(
        link.join(k, link.c.tracking_no == k.c.tracking_no)
    )
    found: dict[str, list[OrderKey]] = {}
    for tracking_no, shop_id, order_no in conn.execute(query).all():
        found.setdefault(tracking_no, []).append((shop_id, order_no))
    return found


@lru_cache(maxsize=256)
def _warehouse_province(settings: str) -> str:
    try:
        value = json.loads(settings or "{}").get("warehouse", "")
    except (ValueError, AttributeError):
        return ""
    return province_of(value) if isinstance(value, str) else ""


def lanes_of(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(origin, destination) province of each parcel with an order: the shop's warehouse (settings
    `warehouse`) and the buyer's province, short names, "" when unknown."""
    link, o, s = parcel_orders, orders, shops
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    query = (
        select(link.c.tracking_no, o.c.province, s.c.settings)
        .select_from(
            link.join(k, link.c.tracking_no == k.c.tracking_no)
            .join(o, (o.c.shop_id == link.c.shop_id) & (o.c.order_no == link.c.order_no))
            .join(s, s.c.id == link.c.shop_id)
        )
        .order_by(link.c.tracking_no, link.c.order_no)
    )
    found: dict[str, tuple[str, str]] = {}
    for row in conn.execute(query).all():
        found.setdefault(row.tracking_no, (_warehouse_province(row.settings), province_of(row.province)))
    return found


# ── the alert scan's selections (each one indexed range on parcel_state, joined to the parcel's shop) ──

WATCH_COLUMNS = (
    "tracking_no",
    "carrier",
    "status",
    "status_at",
    "pickup_at",
    "last_event_at",
    "finished",
    "late_after",
)


@dataclass(frozen=True, slots=True)
class WatchRow:
    """A parcel in transit as the alert rules read it; `shop_id` None when no order carries it yet."""

    tracking_no: str
    carrier: str
    status: str | None
    status_at: datetime | None
    pickup_at: datetime | None
    last_event_at: datetime | None
    finished: bool
    late_after: datetime | None
    shop_id: int | None


def _watch_select() -> Select[Any]:
    s = parcel_state
    shop = select(parcels.c.shop_id).where(parcels.c.tracking_no == s.c.tracking_no).limit(1)
    return select(*(s.c[c] for c in WATCH_COLUMNS), shop.scalar_subquery().label("shop_id"))


def _watches(conn: Connection, query: Select[Any]) -> list[WatchRow]:
    return [
        WatchRow(r[0], r[1], r[2] or None, r[3], r[4], r[5], bool(r[6]), r[7], r[8])
        for r in conn.execute(query).all()
    ]


Window = tuple[datetime | None, datetime]  # (after, up to and including); None: since ever


def _within(column: Any, window: Window) -> Any:
    low, high = window
    return column <= high if low is None else (column > low) & (column <= high)


def parcels_in_trouble(
    conn: Connection,
    silent: Sequence[Window],
    late: Window,
    waiting: Window,
    problem_statuses: Sequence[str] = (),
    status_window: Window | None = None,
) -> list[WatchRow]:
    """Unfinished parcels whose last event, late mark or arrival at a locker falls in the windows, and
    parcels that entered one of `problem_statuses` in `status_window`: each an indexed range; a parcel
    appears once. A full scan passes windows open at the bottom."""
    s = parcel_state
    base = _watch_select()
    open_ = s.c.finished == false()
    queries = [base.where(open_, _within(s.c.last_event_at, window)) for window in silent]
    queries.append(base.where(open_, _within(s.c.late_after, late)))
    locker = TrackingStatus.AVAILABLE_FOR_PICKUP.value
    queries.append(base.where(s.c.status == locker, _within(s.c.status_at, waiting)))
    if status_window is not None:
        queries += [base.where(s.c.status == status, _within(s.c.status_at, status_window))
                    for status in problem_statuses]  # fmt: skip
    found: dict[str, WatchRow] = {}
    for query in queries:
        for row in _watches(conn, query):
            found.setdefault(row.tracking_no, row)
    return list(found.values())


def watches_of(conn: Connection, tracking_numbers: Iterable[str]) -> list[WatchRow]:
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    query = _watch_select().join(k, parcel_state.c.tracking_no == k.c.tracking_no)
    return _watches(conn, query)


@dataclass(frozen=True, slots=True)
class UnscannedParcel:
    """A parcel of an open paid order with no carrier scan yet, and what its pickup deadline needs."""

    tracking_no: str
    carrier: str
    shop_id: int
    order_no: str
    paid_at: datetime
    promised_ship_by: datetime | None
    is_presale: bool
    categories: tuple[str, ...]


def unscanned_parcels(
    conn: Connection,
    paid: Sequence[Window],
    promised: Sequence[Window] = (),
    lookback_from: datetime | None = None,
) -> list[UnscannedParcel]:
    """Parcels with no carrier scan of open (paid/shipped) orders paid in one of the `paid` windows or
    promised to ship in one of the `promised` ones (and paid after `lookback_from`): each an indexed
    range on the orders' times, or the unscanned parcels (indexed pickup_at IS NULL) when fewer."""
    p, link, o, s = parcels, parcel_orders, orders, parcel_state
    base = (
        select(
            p.c.tracking_no,
            p.c.carrier,
            link.c.shop_id,
            link.c.order_no,
            o.c.paid_at,
            o.c.promised_ship_by,
            o.c.is_presale,
        )
        .select_from(
            s.join(p, p.c.tracking_no == s.c.tracking_no)
            .join(link, _CARRIES)
            .join(o, (o.c.shop_id == link.c.shop_id) & (o.c.order_no == link.c.order_no))
        )
        .where(s.c.pickup_at.is_(None), s.c.finished == false(), o.c.status.in_(("paid", "shipped")))
    )
    if lookback_from is not None:
        base = base.where(o.c.paid_at >= lookback_from)
    queries = [base.where(_within(o.c.paid_at, w)) for w in paid]
    queries += [base.where(_within(o.c.promised_ship_by, w)) for w in promised]
    unique = {(r.tracking_no, r.shop_id, r.order_no): r for q in queries for r in conn.execute(q)}
    rows = list(unique.values())
    categories: dict[tuple[int, str], list[str]] = {}
    k = keyset(conn, ((r.shop_id, r.order_no) for r in rows), ORDER_KEY)
    lines = order_lines
    query = (
        select(lines.c.shop_id, lines.c.order_no, lines.c.category)
        .select_from(lines.join(k, (lines.c.shop_id == k.c.shop_id) & (lines.c.order_no == k.c.order_no)))
        .where(lines.c.category != "")
    )
    for line in conn.execute(query).all():
        categories.setdefault((line.shop_id, line.order_no), []).append(line.category)
    return [
        UnscannedParcel(
            r.tracking_no,
            r.carrier,
            r.shop_id,
            r.order_no,
            r.paid_at,
            r.promised_ship_by,
            bool(r.is_presale),
            tuple(categories.get((r.shop_id, r.order_no), ())),
        )
        for r in rows
    ]


def etas_of(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, datetime]:
    """The current ETA (naive UTC) of each parcel that has one: what notifications show the buyer."""
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    query = (
        select(parcel_state.c.tracking_no, parcel_state.c.eta)
        .select_from(parcel_state.join(k, parcel_state.c.tracking_no == k.c.tracking_no))
        .where(parcel_state.c.eta.is_not(None))
    )
    return {r.tracking_no: r.eta for r in conn.execute(query).all()}


def parcels_of(conn: Connection, shop_id: int, order_nos: Iterable[str]) -> dict[str, list[StoredParcel]]:
    """Every parcel of each of these orders of one shop, in the order the parcels were first stored."""
    found = parcels_of_orders(conn, [(shop_id, order_no) for order_no in order_nos])
    return {order_no: group for (_, order_no), group in found.items()}


def parcels_of_orders(conn: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, list[StoredParcel]]:
    """Every parcel of each of these orders, in the order the parcels were first stored."""
    k = keyset(conn, keys, ORDER_KEY)
    link = parcel_orders
    query = (
        select(link.c.shop_id, link.c.order_no, *(parcels.c[c] for c in StoredParcel._fields))
        .select_from(
            link.join(k, (link.c.shop_id == k.c.shop_id) & (link.c.order_no == k.c.order_no)).join(
                parcels, _CARRIES
            )
        )
        .order_by(parcels.c.id)
    )
    found: dict[OrderKey, list[StoredParcel]] = defaultdict(list)
    for shop_id, order_no, *parcel in tuples(conn, query):
        found[(shop_id, order_no)].append(StoredParcel(*parcel))
    return dict(found)


def orders_carried(conn: Connection, keys: Iterable[ParcelKey]) -> dict[ParcelKey, list[str]]:
    """The numbers of the orders (of the parcel's shop) each of these parcels carries, smallest first."""
    k = keyset(conn, keys, PARCEL_KEY)
    link = parcel_orders
    query = (
        select(link.c.shop_id, link.c.tracking_no, link.c.order_no)
        .select_from(link.join(k, (link.c.shop_id == k.c.shop_id) & (link.c.tracking_no == k.c.tracking_no)))
        .order_by(link.c.shop_id, link.c.tracking_no, link.c.order_no)
    )
    found: dict[ParcelKey, list[str]] = defaultdict(list)
    for shop_id, tracking_no, order_no in tuples(conn, query):
        found[(shop_id, tracking_no)].append(order_no)
    return dict(found)


def parcels_by_key(conn: Connection, keys: Iterable[ParcelKey]) -> dict[ParcelKey, StoredParcel]:
    """These parcels, by (shop id, tracking number) (those stored)."""
    k = keyset(conn, keys, PARCEL_KEY)
    p = parcels
    query = select(p.c.shop_id, p.c.tracking_no, p.c.carrier, p.c.shipped_at).select_from(
        p.join(k, (p.c.shop_id == k.c.shop_id) & (p.c.tracking_no == k.c.tracking_no))
    )
    return {(row[0], row[1]): StoredParcel(*row[1:]) for row in conn.execute(query).all()}


def orders_tracked_since(start: datetime) -> Select[tuple[int, str]]:
    """A select of (shop_id, order_no): orders a parcel of which has its newest carrier event at or after
    `start`, or has no state at all. Every order with an event in a window that begins at `start` is among
    them (a superset: some have only later events). Read from one row per parcel: an index of every event
    by time made inserting events a quarter slower (bench/tracking) and served only this. Every parcel has
    a state (orders and events both make one); one without (a database filled past the write path, as
    lanshou.demo.writer does before `tracking rebuild-state`) is taken: more orders, never fewer."""
    s = parcel_state
    return (
        select(parcel_orders.c.shop_id, parcel_orders.c.order_no)
        .select_from(parcel_orders.outerjoin(s, s.c.tracking_no == parcel_orders.c.tracking_no))
        .where(or_(s.c.last_event_at >= start, s.c.tracking_no.is_(None)))
    )


def orders_in_parcel(tracking_no: str) -> Select[tuple[int, str]]:
    """A select of (shop_id, order_no): the orders a tracking number carries, read off parcel_orders' key
    (it starts with the tracking number)."""
    link = parcel_orders.c
    return select(link.shop_id, link.order_no).where(link.tracking_no == tracking_no)


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


def delivered_at_of(conn: Connection, shop_id: int, order_nos: Sequence[str]) -> dict[str, datetime]:
    """When each of these orders (of one shop) was delivered: its last parcel's delivery (naive UTC)."""
    k = keyset(conn, ((shop_id, n) for n in order_nos), ORDER_KEY)
    link = parcel_orders
    query = (
        select(link.c.order_no, func.max(parcel_state.c.delivered_at))
        .select_from(
            link.join(k, and_(link.c.shop_id == k.c.shop_id, link.c.order_no == k.c.order_no)).join(
                parcel_state, parcel_state.c.tracking_no == link.c.tracking_no
            )
        )
        .where(parcel_state.c.delivered_at.is_not(None))
        .group_by(link.c.order_no)
    )
    return {order_no: delivered for order_no, delivered in conn.execute(query)}


def parcel_status_of(conn: Connection, tracking_no: str) -> tuple[str | None, datetime | None]:
    """A parcel's current status and its time (None, None when no event is stored)."""
    row = conn.execute(
        select(parcel_state.c.status, parcel_state.c.status_at).where(
            parcel_state.c.tracking_no == tracking_no
        )
    ).first()
    return (row.status, row.status_at) if row else (None, None)


class TrackEvent(NamedTuple):
    tracking_no: str
    event_time: datetime  # naive UTC
    status: str
    raw_status: str
    location: str
    description: str


def events_of(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[TrackEvent]]:
    """Every carrier event of these parcels, newest first (what an order's detail shows of its parcels)."""
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    e = tracking_events
    found: dict[str, list[TrackEvent]] = defaultdict(list)
    query = (
        select(e.c.tracking_no, e.c.event_time, e.c.status, e.c.raw_status, e.c.location, e.c.description)
        .select_from(e.join(k, e.c.tracking_no == k.c.tracking_no))
        .order_by(e.c.tracking_no, e.c.event_time.desc(), e.c.id.desc())
    )
    for row in conn.execute(query):
        found[row.tracking_no].append(TrackEvent(*row))
    return dict(found)


def numbers_of_shops(shop_ids: Collection[int]) -> Select[tuple[str]]:
    """A select of the tracking numbers of these shops' parcels (to scope a list by a user's grants)."""
    return select(parcels.c.tracking_no).where(parcels.c.shop_id.in_(list(shop_ids)))


def parcel_shops(conn: Connection, tracking_no: str) -> set[int]:
    """The shops a tracking number belongs to (its parcels, and the orders it carries): who may see it."""
    owners = select(parcels.c.shop_id).where(parcels.c.tracking_no == tracking_no)
    carried = select(parcel_orders.c.shop_id).where(parcel_orders.c.tracking_no == tracking_no)
    return {row[0] for row in conn.execute(owners.union(carried))}
