"""Build metric facts (lanshou.metrics.facts) from the tables, in batches of orders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Select, and_, select, union

from lanshou.customers import tables as ct
from lanshou.metrics.facts import EventFact, FeedbackFact, OrderFact, ParcelFact
from lanshou.orders import tables as ot
from lanshou.orders.keys import CHUNK, OrderKey, by_shop
from lanshou.shops.model import ShopInfo
from lanshou.tracking import tables as tt


def _select_by_keys(table: Any, shop_id: int, numbers: list[str]) -> Select[Any]:
    return select(table).where(and_(table.c.shop_id == shop_id, table.c.order_no.in_(numbers)))


def load_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo]
) -> list[tuple[OrderKey, OrderFact]]:
    """Facts for the given orders (those that exist), with lines, parcels, events, feedback, timeline."""
    facts: list[tuple[OrderKey, OrderFact]] = []
    for shop_id, numbers in by_shop(keys):
        orders = conn.execute(_select_by_keys(ot.orders, shop_id, numbers)).all()
        facts.extend(_facts_for(conn, shop_id, orders, shops[shop_id]))
    return facts


def iter_facts(
    conn: Connection, keys: Sequence[OrderKey], shops: dict[int, ShopInfo], batch: int = 2000
) -> Iterator[OrderFact]:
    """The facts of many orders, loaded a batch at a time so memory stays flat."""
    for first in range(0, len(keys), batch):
        for _, fact in load_facts(conn, keys[first : first + batch], shops):
            yield fact


def _facts_for(
    conn: Connection, shop_id: int, orders: Sequence[Any], shop: ShopInfo
) -> list[tuple[OrderKey, OrderFact]]:
    numbers = [o.order_no for o in orders]
    if not numbers:
        return []
    lines: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(_select_by_keys(ot.order_lines, shop_id, numbers).order_by(ot.order_lines.c.id)):
        lines[row.order_no].append(row)
    parcels: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(_select_by_keys(tt.parcels, shop_id, numbers).order_by(tt.parcels.c.id)):
        parcels[row.order_no].append(row)
    events = _events([p.tracking_no for group in parcels.values() for p in group], conn)
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
        order_parcels = tuple(
            ParcelFact(p.tracking_no, p.carrier, p.shipped_at, events.get(p.tracking_no, ()), o.province)
            for p in parcels.get(o.order_no, [])
        )
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
            parcels=order_parcels,
            feedback=tuple(feedback.get(o.order_no, ())),
            timeline_kinds=frozenset(kinds.get(o.order_no, ())),
        )
        result.append(((shop_id, o.order_no), fact))
    return result


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
    o, p, e = ot.orders, tt.parcels, tt.tracking_events
    paid = select(o.c.shop_id, o.c.order_no).where(o.c.paid_at >= start - default_promise, o.c.paid_at < end)
    promised = select(o.c.shop_id, o.c.order_no).where(
        o.c.promised_ship_by >= start, o.c.promised_ship_by < end
    )
    scanned = (
        select(p.c.shop_id, p.c.order_no)
        .select_from(p.join(e, e.c.tracking_no == p.c.tracking_no))
        .where(e.c.event_time >= start, e.c.event_time < end)
    )
    return [(r.shop_id, r.order_no) for r in conn.execute(union(paid, promised, scanned))]
