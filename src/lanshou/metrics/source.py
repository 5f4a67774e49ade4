"""Build metric facts (lanshou.metrics.facts) from the tables, in batches of orders.

An order's facts carry every parcel it travels in (拆单), and a parcel carrying several orders (合并发货) is
the same ParcelFact in each of them: the metrics count it once per shop, under the paid order with the
smallest number it carries (`CountedParcel`), whose province is the parcel's destination. So the raw
engine and the rollups agree whichever of its orders they meet first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select, union

from lanshou.customers import tables as ct
from lanshou.db.driver_reads import tuples
from lanshou.db.keyset import ORDER_KEY, TRACKING_NO, keyset
from lanshou.events import CreatedOrder
from lanshou.metrics.facts import EventFact, FeedbackFact, OrderFact, ParcelFact
from lanshou.orders import tables as ot
from lanshou.orders.keys import OrderKey
from lanshou.shops.model import ShopInfo
from lanshou.tracking import tables as tt
from lanshou.tracking.queries import (
    ParcelKey,
    StoredParcel,
    orders_carried,
    orders_tracked_since,
    parcels_by_key,
    parcels_of_orders,
)


@dataclass(frozen=True, slots=True)
class CountedParcel:
    """A parcel as the metrics count it: once in its shop, under `order_no`, the paid order with the smallest
    number it carries (None: no paid order carries it, so it counts nowhere)."""

    fact: ParcelFact
    order_no: str | None
    carried: tuple[str, ...] = ()  # every order of its shop it carries, smallest first


@dataclass
class Loaded:
    facts: list[tuple[OrderKey, OrderFact]] = field(default_factory=list)
    parcels: dict[ParcelKey, CountedParcel] = field(default_factory=dict)  # every parcel of those orders


def _joined(table: Any, k: Any) -> Any:
    """The table joined on a key set of orders (lanshou.db.keyset): one set-based look-up for the batch."""
    return table.join(k, and_(table.c.shop_id == k.c.shop_id, table.c.order_no == k.c.order_no))


def load_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo]
) -> list[tuple[OrderKey, OrderFact]]:
    """Facts for the given orders (those that exist), with lines, parcels, events, feedback, timeline."""
    return load_batch(conn, keys, shops).facts


def load_batch(conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo]) -> Loaded:
    """The facts of these orders and how each of their parcels is counted: each table read once for the
    whole batch, joined on its keys."""
    if not keys:
        return Loaded()
    k = keyset(conn, keys, ORDER_KEY)
    o = ot.orders
    columns = [o.c[name] for name in ORDER_COLUMNS]
    orders = tuples(conn, select(*columns).select_from(_joined(o, k)).order_by(o.c.id))
    if not orders:
        return Loaded()
    lines: dict[OrderKey, list[tuple[str, str]]] = defaultdict(list)  # (sku, category)
    li = ot.order_lines
    query = select(li.c.shop_id, li.c.order_no, li.c.sku, li.c.category).select_from(_joined(li, k))
    for shop_id, order_no, sku, category in tuples(conn, query.order_by(li.c.id)):
        lines[(shop_id, order_no)].append((sku, category))
    parcels, counted = _parcels_read(conn, _paid_and_province_of(orders))
    return _assembled(conn, k, orders, lines, parcels, counted, shops)


def load_created(conn: Connection, created: Sequence[CreatedOrder], shops: dict[int, ShopInfo]) -> Loaded:
    """As load_batch, for orders the connection's transaction has just stored for the first time, from what
    it wrote (lanshou.events.CreatedOrder): only what may have come before them is read (their parcels'
    carrier events, their feedback, their timeline). A parcel only one of them names carries it alone, as
    stored; the parcels of orders that share one (合并发货: all among `created`) are read as load_batch
    reads them (which order each counts under, the carrier and time the store kept of several records)."""
    if not created:
        return Loaded()
    k = keyset(conn, [c.key for c in created], ORDER_KEY)
    namers = Counter((c.key[0], number) for c in created for number, _, _ in c.parcels)
    sharing = {c.key for c in created if any(namers[(c.key[0], number)] > 1 for number, _, _ in c.parcels)}
    orders: list[tuple[Any, ...]] = []
    lines: dict[OrderKey, list[tuple[str, str]]] = {}
    parcels: dict[OrderKey, list[StoredParcel]] = {}
    for c in created:
        paid_at = _time(c.paid_at)
        orders.append(
            (
                *c.key,
                c.status,
                _time(c.created_at),
                paid_at,
                c.is_presale,
                _time(c.promised_ship_by),
                c.province,
            )
        )
        lines[c.key] = list(c.lines)
        if c.key not in sharing:
            parcels[c.key] = [StoredParcel(number, carrier, _time(at)) for number, carrier, at in c.parcels]
    numbers = [number for c in created if c.key not in sharing for number, _, _ in c.parcels]
    events = _events(conn, numbers) if numbers else {}
    counted: dict[ParcelKey, CountedParcel] = {}
    for shop_id, order_no, _status, _created_at, paid_at, _presale, _promised, province in orders:
        if (shop_id, order_no) in sharing:
            continue
        paid = paid_at is not None  # the parcel counts under its one order if paid, at its province
        for p in parcels[(shop_id, order_no)]:
            fact = ParcelFact(p.tracking_no, p.carrier, p.shipped_at, events.get(p.tracking_no, ()),
                              province if paid else "")  # fmt: skip
            counted[(shop_id, p.tracking_no)] = CountedParcel(fact, order_no if paid else None, (order_no,))
    if sharing:  # read back as load_batch reads them
        shared_parcels, shared = _parcels_read(conn, _paid_and_province_of(orders, sharing))
        parcels.update(shared_parcels)
        counted.update(shared)
    return _assembled(conn, k, orders, lines, parcels, counted, shops)


def _paid_and_province_of(
    orders: Sequence[Sequence[Any]], only: Collection[OrderKey] | None = None
) -> dict[OrderKey, tuple[datetime | None, str]]:
    """(paid at, province) of ORDER_COLUMNS rows, by order (those in `only`, when given)."""
    return {
        (shop_id, order_no): (paid_at, province)
        for shop_id, order_no, _status, _created_at, paid_at, _presale, _promised, province in orders
        if only is None or (shop_id, order_no) in only
    }


def _parcels_read(
    conn: Connection, known: dict[OrderKey, tuple[datetime | None, str]]
) -> tuple[dict[OrderKey, list[StoredParcel]], dict[ParcelKey, CountedParcel]]:
    """The stored parcels of these orders (`known`: their paid time and province), in the order first
    stored, and how each parcel counts."""
    parcels = parcels_of_orders(conn, known)
    stored = {(key[0], p.tracking_no): p for key, group in parcels.items() for p in group}
    return parcels, _counted(conn, stored, known)


def _time(text: str | None) -> datetime | None:
    """A time as the store's rows hold it (naive UTC text) as the database reads it back."""
    return None if text is None else datetime.fromisoformat(text)


def _assembled(
    conn: Connection,
    k: Any,
    orders: Sequence[Sequence[Any]],
    lines: dict[OrderKey, list[tuple[str, str]]],
    parcels: dict[OrderKey, list[StoredParcel]],
    counted: dict[ParcelKey, CountedParcel],
    shops: dict[int, ShopInfo],
) -> Loaded:
    """The orders' facts (ORDER_COLUMNS rows, with their lines, parcels and how each parcel is counted),
    with their feedback and timeline read (k: their key set)."""
    loaded = Loaded(parcels=counted)
    feedback: dict[OrderKey, list[FeedbackFact]] = defaultdict(list)
    fb = ct.feedback
    given = select(fb.c.shop_id, fb.c.order_no, fb.c.created_at, fb.c.rating, fb.c.tags).select_from(
        _joined(fb, k)
    )
    for shop_id, order_no, created_at, rating, tags in conn.execute(given.order_by(fb.c.created_at)).all():
        feedback[(shop_id, order_no)].append(
            FeedbackFact(created_at, rating, tuple(t for t in tags.split("|") if t))
        )
    kinds: dict[OrderKey, set[str]] = defaultdict(set)
    ev = ot.order_events
    timeline = select(ev.c.shop_id, ev.c.order_no, ev.c.kind).select_from(_joined(ev, k)).distinct()
    for shop_id, order_no, kind in conn.execute(timeline).all():
        kinds[(shop_id, order_no)].add(kind)
    for shop_id, order_no, status, created_at, paid_at, is_presale, promised, province in orders:
        key = (shop_id, order_no)
        shop = shops[shop_id]
        order_lines = lines.get(key, ())
        fact = OrderFact(
            platform=shop.platform,
            shop=shop.shop,
            order_no=order_no,
            status=status,
            created_at=created_at,
            paid_at=paid_at,
            is_presale=bool(is_presale),
            promised_ship_by=promised,
            province=province,
            categories=tuple([category for _, category in order_lines if category]),
            skus=tuple([sku for sku, _ in order_lines]),
            parcels=tuple([counted[(shop_id, p.tracking_no)].fact for p in parcels.get(key, ())]),
            feedback=tuple(feedback.get(key, ())),
            timeline_kinds=frozenset(kinds.get(key, ())),
        )
        loaded.facts.append((key, fact))
    return loaded


# load_batch unpacks the rows in this order
ORDER_COLUMNS = ("shop_id", "order_no", "status", "created_at", "paid_at", "is_presale", "promised_ship_by",
                 "province")  # fmt: skip


def load_parcels(conn: Connection, keys: Sequence[ParcelKey]) -> dict[ParcelKey, CountedParcel]:
    """How these parcels are counted (those stored), whatever orders they carry."""
    return _counted(conn, parcels_by_key(conn, keys), {})


def iter_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo], batch: int = 2000
) -> Iterator[OrderFact]:
    """The facts of many orders, loaded a batch at a time so memory stays flat."""
    for first in range(0, len(keys), batch):
        for _, fact in load_facts(conn, keys[first : first + batch], shops):
            yield fact


def _counted(
    conn: Connection,
    stored: dict[ParcelKey, StoredParcel],
    known: dict[OrderKey, tuple[datetime | None, str]],
) -> dict[ParcelKey, CountedParcel]:
    """Each parcel with its events, counted under the smallest paid order it carries; `known` holds (paid
    at, province) of orders read already, the other orders the parcels carry are read here."""
    if not stored:
        return {}
    carried = orders_carried(conn, stored)
    missing = {(key[0], o) for key, group in carried.items() for o in group if (key[0], o) not in known}
    known = {**known, **_paid_and_province(conn, missing)} if missing else known
    events = _events(conn, {number for _, number in stored})
    counted = {}
    for key, parcel in stored.items():
        shop_id, number = key
        carries = tuple(carried.get(key, ()))
        orders = [o for o in carries if (shop_id, o) in known]  # smallest first
        paid = [o for o in orders if known[(shop_id, o)][0] is not None]
        order_no = paid[0] if paid else None
        # the destination: the first paid order's that has one (the raw engine falls back on the order's
        # own province only when none has, and then every paid order it carries has none either)
        province = next((known[(shop_id, o)][1] for o in paid if known[(shop_id, o)][1]), "")
        fact = ParcelFact(number, parcel.carrier, parcel.shipped_at, events.get(number, ()), province)
        counted[key] = CountedParcel(fact, order_no, carries)
    return counted


def _paid_and_province(
    conn: Connection, keys: Iterable[OrderKey]
) -> dict[OrderKey, tuple[datetime | None, str]]:
    k = keyset(conn, keys, ORDER_KEY)
    o = ot.orders
    query = select(o.c.shop_id, o.c.order_no, o.c.paid_at, o.c.province).select_from(_joined(o, k))
    return {
        (shop_id, order_no): (paid_at, province)
        for shop_id, order_no, paid_at, province in conn.execute(query)
    }


def _events(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, tuple[EventFact, ...]]:
    found: dict[str, list[EventFact]] = defaultdict(list)
    table = tt.tracking_events
    k = keyset(conn, ((n,) for n in tracking_numbers), TRACKING_NO)
    query = (
        select(table.c.tracking_no, table.c.event_time, table.c.status)
        .select_from(table.join(k, table.c.tracking_no == k.c.tracking_no))
        .order_by(table.c.tracking_no, table.c.event_time, table.c.id)
    )
    new = tuple.__new__  # EventFact(when, status) without the named tuple's argument parsing: ~10 a parcel
    for tracking_no, when, status in tuples(conn, query):
        found[tracking_no].append(new(EventFact, (when, status)))
    return {number: tuple(events) for number, events in found.items()}


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
    """Orders any metric of [start, end) can touch: paid or promised in it, or with a carrier event in it
    (taken as: with a parcel's newest event at or after `start`; a few more orders, never fewer).

    An order without a platform promise is promised pay + the pack's default, so orders paid up to
    `default_promise` before the range are taken too.
    """
    o = ot.orders
    paid = select(o.c.shop_id, o.c.order_no).where(o.c.paid_at >= start - default_promise, o.c.paid_at < end)
    promised = select(o.c.shop_id, o.c.order_no).where(
        o.c.promised_ship_by >= start, o.c.promised_ship_by < end
    )
    scanned = orders_tracked_since(start)
    rows: Iterable[Any] = conn.execute(union(paid, promised, scanned))
    return [(r.shop_id, r.order_no) for r in rows]
