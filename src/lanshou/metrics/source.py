"""Build metric facts (lanshou.metrics.facts) from the tables, in batches of orders.

An order's facts carry every parcel it travels in (拆单), and a parcel carrying several orders (合并发货) is
the same ParcelFact in each of them: the metrics count it once per shop, under the paid order with the
smallest number it carries (`CountedParcel`), whose province is the parcel's destination. So the raw
engine and the rollups agree whichever of its orders they meet first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, select, union

from lanshou.customers import tables as ct
from lanshou.metrics.facts import EventFact, FeedbackFact, OrderFact, ParcelFact
from lanshou.orders import tables as ot
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.shops.model import ShopInfo
from lanshou.tracking import tables as tt
from lanshou.tracking.queries import (
    StoredParcel,
    orders_carried,
    orders_scanned_between,
    parcels_by_number,
    parcels_of,
)

ParcelKey = tuple[int, str]  # (shop id, tracking number)


@dataclass(frozen=True, slots=True)
class CountedParcel:
    """A parcel as the metrics count it: once in its shop, under `order_no`, the paid order with the smallest
    number it carries (None: no paid order carries it, so it counts nowhere)."""

    fact: ParcelFact
    order_no: str | None


@dataclass
class Loaded:
    facts: list[tuple[OrderKey, OrderFact]] = field(default_factory=list)
    parcels: dict[ParcelKey, CountedParcel] = field(default_factory=dict)  # every parcel of those orders


def _select_by_keys(table: Any, shop_id: int, numbers: list[str]) -> Select[Any]:
    return select(table).where(and_(table.c.shop_id == shop_id, table.c.order_no.in_(numbers)))


def load_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo]
) -> list[tuple[OrderKey, OrderFact]]:
    """Facts for the given orders (those that exist), with lines, parcels, events, feedback, timeline."""
    return load_batch(conn, keys, shops).facts


def load_batch(conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo]) -> Loaded:
    """The facts of these orders and how each of their parcels is counted."""
    loaded = Loaded()
    for shop_id, numbers in by_shop(keys):
        orders = conn.execute(_select_by_keys(ot.orders, shop_id, numbers)).all()
        loaded.facts.extend(_facts_for(conn, shop_id, orders, shops[shop_id], loaded.parcels))
    return loaded


def load_parcels(conn: Connection, shop_id: int, tracking_numbers: Sequence[str]) -> dict[str, CountedParcel]:
    """How these parcels of a shop are counted (those stored), whatever orders they carry."""
    return _counted(conn, shop_id, parcels_by_number(conn, shop_id, tracking_numbers), {})


def iter_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo], batch: int = 2000
) -> Iterator[OrderFact]:
    """The facts of many orders, loaded a batch at a time so memory stays flat."""
    for first in range(0, len(keys), batch):
        for _, fact in load_facts(conn, keys[first : first + batch], shops):
            yield fact


def _facts_for(
    conn: Connection,
    shop_id: int,
    orders: Sequence[Any],
    shop: ShopInfo,
    counted_out: dict[ParcelKey, CountedParcel],
) -> list[tuple[OrderKey, OrderFact]]:
    numbers = [o.order_no for o in orders]
    if not numbers:
        return []
    lines: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(_select_by_keys(ot.order_lines, shop_id, numbers).order_by(ot.order_lines.c.id)):
        lines[row.order_no].append(row)
    parcels = parcels_of(conn, shop_id, numbers)
    stored = {p.tracking_no: p for group in parcels.values() for p in group}
    counted = _counted(conn, shop_id, stored, {o.order_no: (o.paid_at, o.province) for o in orders})
    counted_out.update(((shop_id, number), parcel) for number, parcel in counted.items())
    feedback: dict[str, list[FeedbackFact]] = defaultdict(list)
    for row in conn.execute(
        _select_by_keys(ct.feedback, shop_id, numbers).order_by(ct.feedback.c.created_at)
    ):
        tags = tuple(t for t in row.tags.split("|") if t)
        feedback[row.order_no].append(FeedbackFact(row.created_at, row.rating, tags))
    kinds: dict[str, set[str]] = defaultdict(set)
    query = select(ot.order_events.c.order_no, ot.order_events.c.kind).where(
        ot.order_events.c.shop_id == shop_id, ot.order_events.c.order_no.in_(numbers)
    )
    for order_no, kind in conn.execute(query):
        kinds[order_no].add(kind)
    result = []
    for o in orders:
        order_lines = lines.get(o.order_no, [])
        fact = OrderFact(
            platform=shop.platform,
            shop=shop.shop,
            order_no=o.order_no,
            status=o.status,
            created_at=o.created_at,
            paid_at=o.paid_at,
            is_presale=bool(o.is_presale),
            promised_ship_by=o.promised_ship_by,
            province=o.province,
            categories=tuple(line.category for line in order_lines if line.category),
            skus=tuple(line.sku for line in order_lines),
            parcels=tuple(counted[p.tracking_no].fact for p in parcels.get(o.order_no, [])),
            feedback=tuple(feedback.get(o.order_no, ())),
            timeline_kinds=frozenset(kinds.get(o.order_no, ())),
        )
        result.append(((shop_id, o.order_no), fact))
    return result


def _counted(
    conn: Connection,
    shop_id: int,
    stored: dict[str, StoredParcel],
    known: dict[str, tuple[datetime | None, str]],
) -> dict[str, CountedParcel]:
    """Each parcel with its events, counted under the smallest paid order it carries; `known` holds (paid
    at, province) of orders read already, the other orders the parcels carry are read here."""
    carried = orders_carried(conn, shop_id, stored)
    missing = sorted({o for group in carried.values() for o in group if o not in known})
    known = {**known, **_paid_and_province(conn, shop_id, missing)}
    events = _events(list(stored), conn)
    counted = {}
    for number, parcel in stored.items():
        orders = [o for o in carried.get(number, ()) if o in known]  # smallest first
        paid = [o for o in orders if known[o][0] is not None]
        order_no = paid[0] if paid else None
        # the destination: the first paid order's that has one (the raw engine falls back on the order's
        # own province only when none has, and then every paid order it carries has none either)
        province = next((known[o][1] for o in paid if known[o][1]), "")
        fact = ParcelFact(number, parcel.carrier, parcel.shipped_at, events.get(number, ()), province)
        counted[number] = CountedParcel(fact, order_no)
    return counted


def _paid_and_province(
    conn: Connection, shop_id: int, numbers: list[str]
) -> dict[str, tuple[datetime | None, str]]:
    found: dict[str, tuple[datetime | None, str]] = {}
    o = ot.orders.c
    for start in range(0, len(numbers), CHUNK):
        query = select(o.order_no, o.paid_at, o.province).where(
            o.shop_id == shop_id, o.order_no.in_(numbers[start : start + CHUNK])
        )
        found.update((row.order_no, (row.paid_at, row.province)) for row in conn.execute(query))
    return found


def _events(tracking_numbers: list[str], conn: Connection) -> dict[str, tuple[EventFact, ...]]:
    found: dict[str, list[EventFact]] = defaultdict(list)
    table = tt.tracking_events
    for start in range(0, len(tracking_numbers), CHUNK):
        chunk = tracking_numbers[start : start + CHUNK]
        query = (
            select(table.c.tracking_no, table.c.event_time, table.c.status)
            .where(table.c.tracking_no.in_(chunk))
            .order_by(table.c.tracking_no, table.c.event_time, table.c.id)
        )
        for tracking_no, when, status in conn.execute(query):
            found[tracking_no].append(EventFact(when, status))
    return {k: tuple(v) for k, v in found.items()}


def iter_all_keys(conn: Connection, batch: int = 2000) -> Iterator[list[OrderKey]]:
    """Every order key, in id order, a batch at a time (keyset pagination, flat memory)."""
    last = 0
    while True:
        rows = conn.execute(
            select(ot.orders.c.id, ot.orders.c.shop_id, ot.orders.c.order_no)
            .where(ot.orders.c.id > last)
            .order_by(ot.orders.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        yield [(r.shop_id, r.order_no) for r in rows]


def window_keys(
    conn: Connection, start: datetime, end: datetime, default_promise: timedelta = timedelta(days=30)
) -> list[OrderKey]:
    """Orders any metric of [start, end) can touch: paid or promised in it, or with a carrier event in it.

    An order without a platform promise is promised pay + the pack's default, so orders paid up to
    `default_promise` before the range are taken too.
    """
    o = ot.orders
    paid = select(o.c.shop_id, o.c.order_no).where(o.c.paid_at >= start - default_promise, o.c.paid_at < end)
    promised = select(o.c.shop_id, o.c.order_no).where(
        o.c.promised_ship_by >= start, o.c.promised_ship_by < end
    )
    scanned = orders_scanned_between(start, end)
    rows: Iterable[Any] = conn.execute(union(paid, promised, scanned))
    return [(r.shop_id, r.order_no) for r in rows]
