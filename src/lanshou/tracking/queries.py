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

from sqlalchemy import Connection, Select, and_, false, select

from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.orders.tables import order_lines, orders
from lanshou.shops.tables import shops
from lanshou.tracking.provinces import province_of
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.tables import parcel_orders, parcel_state, parcels, tracking_events

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


def orders_by_parcel(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[OrderKey]]:
    """Each tracking number's orders (numbers without an order yet are absent)."""
    numbers = list(tracking_numbers)
    found: dict[str, list[OrderKey]] = {}
    for start in range(0, len(numbers), CHUNK):
        link = parcel_orders
        query = select(link.c.tracking_no, link.c.shop_id, link.c.order_no).where(
            link.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        for row in conn.execute(query):
            found.setdefault(row.tracking_no, []).append((row.shop_id, row.order_no))
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
    numbers = list(tracking_numbers)
    link, o, s = parcel_orders, orders, shops
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(link.c.tracking_no, o.c.province, s.c.settings)
            .select_from(
                link.join(o, (o.c.shop_id == link.c.shop_id) & (o.c.order_no == link.c.order_no)).join(
                    s, s.c.id == link.c.shop_id
                )
            )
            .where(link.c.tracking_no.in_(numbers[start : start + CHUNK]))
            .order_by(link.c.tracking_no, link.c.order_no)
        )
        for row in conn.execute(query):
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
        for r in conn.execute(query)
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
    numbers = list(tracking_numbers)
    rows: list[WatchRow] = []
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        rows.extend(_watches(conn, _watch_select().where(parcel_state.c.tracking_no.in_(chunk))))
    return rows


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
    keys = sorted({(r.shop_id, r.order_no) for r in rows})
    for shop_id, numbers in by_shop(keys):
        lines = order_lines
        for line in conn.execute(
            select(lines.c.order_no, lines.c.category).where(
                lines.c.shop_id == shop_id, lines.c.order_no.in_(numbers), lines.c.category != ""
            )
        ):
            categories.setdefault((shop_id, line.order_no), []).append(line.category)
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
    numbers = list(tracking_numbers)
    found: dict[str, datetime] = {}
    for start in range(0, len(numbers), CHUNK):
        query = select(parcel_state.c.tracking_no, parcel_state.c.eta).where(
            parcel_state.c.tracking_no.in_(numbers[start : start + CHUNK]), parcel_state.c.eta.is_not(None)
        )
        found.update((r.tracking_no, r.eta) for r in conn.execute(query))
    return found


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


class TrackEvent(NamedTuple):
    tracking_no: str
    event_time: datetime  # naive UTC
    status: str
    raw_status: str
    location: str
    description: str


def events_of(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[TrackEvent]]:
    """Every carrier event of these parcels, newest first (what an order's detail shows of its parcels)."""
    numbers = sorted(set(tracking_numbers))
    e = tracking_events
    found: dict[str, list[TrackEvent]] = defaultdict(list)
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(e.c.tracking_no, e.c.event_time, e.c.status, e.c.raw_status, e.c.location, e.c.description)
            .where(e.c.tracking_no.in_(numbers[start : start + CHUNK]))
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
