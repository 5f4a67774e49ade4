"""What other areas may ask of tracking, and every parcel → order look-up tracking itself makes.

Parcels are linked to orders here only (a parcel will soon carry several orders through a link table):
callers get order keys and lane facts, never the link itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, false, select

from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.orders.tables import order_lines, orders
from lanshou.shops.tables import shops
from lanshou.tracking.provinces import province_of
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.tables import parcel_state, parcels


def orders_of(conn: Connection, tracking_numbers: Iterable[str]) -> list[OrderKey]:
    """The orders that carry these tracking numbers (a merged parcel carries several)."""
    numbers = list(tracking_numbers)
    keys: list[OrderKey] = []
    for start in range(0, len(numbers), CHUNK):
        query = select(parcels.c.shop_id, parcels.c.order_no).where(
            parcels.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        keys.extend((r.shop_id, r.order_no) for r in conn.execute(query))
    return keys


def orders_by_parcel(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[OrderKey]]:
    """Each tracking number's orders (numbers without an order yet are absent)."""
    numbers = list(tracking_numbers)
    found: dict[str, list[OrderKey]] = {}
    for start in range(0, len(numbers), CHUNK):
        query = select(parcels.c.tracking_no, parcels.c.shop_id, parcels.c.order_no).where(
            parcels.c.tracking_no.in_(numbers[start : start + CHUNK])
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
    p, o, s = parcels, orders, shops
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(p.c.tracking_no, o.c.province, s.c.settings)
            .select_from(
                p.join(o, (o.c.shop_id == p.c.shop_id) & (o.c.order_no == p.c.order_no)).join(
                    s, s.c.id == p.c.shop_id
                )
            )
            .where(p.c.tracking_no.in_(numbers[start : start + CHUNK]))
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
    p, o, s = parcels, orders, parcel_state
    base = (
        select(
            p.c.tracking_no,
            p.c.carrier,
            p.c.shop_id,
            p.c.order_no,
            o.c.paid_at,
            o.c.promised_ship_by,
            o.c.is_presale,
        )
        .select_from(
            s.join(p, p.c.tracking_no == s.c.tracking_no).join(
                o, (o.c.shop_id == p.c.shop_id) & (o.c.order_no == p.c.order_no)
            )
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
