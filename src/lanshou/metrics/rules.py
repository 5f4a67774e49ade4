"""Each metric rule of METRICS.md, written once. The full recompute (compute.py), the rollup derivation
(derive.py), the explanations (explain.py) and the at-risk queue (sla/queue.py) all ask these functions; the
rollup SQL restates only "compare a stored local day with D", and the property tests tie it to these.

Times are naive UTC. `by` is the moment of knowledge: events and feedback stamped later are ignored
(None: everything known, as the rollup derivation wants it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from itertools import pairwise

from lanshou.metrics.facts import FeedbackFact, OrderFact, ParcelFact
from lanshou.metrics.packs import RulePack
from lanshou.orders.status import CLOSED_BEFORE_FULFILMENT
from lanshou.tracking.status import TrackingStatus, is_carrier_scan

CLOSED = frozenset(s.value for s in CLOSED_BEFORE_FULFILMENT)
NOT_DELIVERIES = frozenset({TrackingStatus.RETURNED.value, TrackingStatus.REJECTED.value})
DELIVERED = TrackingStatus.DELIVERED.value


def _known(t: datetime, by: datetime | None) -> bool:
    return by is None or t <= by


@cache
def hours(h: float) -> timedelta:
    return timedelta(hours=h)  # a handful of limits, asked for several times an order


# ── pickup (揽收) ───────────────────────────────────────────────────────────────────────────────────────


def parcel_pickup(parcel: ParcelFact, by: datetime | None = None) -> datetime | None:
    """The parcel's first carrier scan: its earliest event that is not `info_received`. A parcel's events
    are sorted by time (ParcelFact), so that is the first scan found; if it came after `by`, all did."""
    for event in parcel.events:
        if is_carrier_scan(event.status):
            return event.time if _known(event.time, by) else None
    return None


def first_scan(order: OrderFact, by: datetime | None = None) -> tuple[datetime | None, str]:
    """(the order's pickup, the carrier of the parcel scanned first). An order shipped in several parcels is
    picked up when its first parcel is scanned; a 'shipped' mark or a waybill alone is not a pickup."""
    best: tuple[datetime | None, str] = (None, order.parcels[0].carrier if order.parcels else "")
    for parcel in order.parcels:
        scan = parcel_pickup(parcel, by)
        if scan is not None and (best[0] is None or scan < best[0]):
            best = (scan, parcel.carrier)
    return best


def order_pickup(order: OrderFact, by: datetime | None = None) -> datetime | None:
    return first_scan(order, by)[0]


def closed_before_pickup(order: OrderFact, by: datetime | None = None) -> bool:
    """Cancelled or refunded and not picked up (by `by`): out of M1 and M5."""
    return order.status in CLOSED and order_pickup(order, by) is None


# ── deadlines ───────────────────────────────────────────────────────────────────────────────────────────


def limit_hours(order: OrderFact, pack: RulePack) -> float:
    """M1's limit L: the long limit only when EVERY item's category is on the long list (no categories:
    the default limit)."""
    cats = order.categories
    if cats and all(c in pack.long_categories for c in cats):
        return pack.long_limit_hours
    return pack.limit_hours


def pickup_deadline(order: OrderFact, pack: RulePack, limit: float | None = None) -> datetime | None:
    """pay + L (or + `limit`, for a pack's extra blocks); None when unpaid or presale (not in M1)."""
    if order.paid_at is None or order.is_presale:
        return None
    return order.paid_at + hours(limit_hours(order, pack) if limit is None else limit)


def promised_ship_time(order: OrderFact, pack: RulePack) -> datetime | None:
    """The platform's 承诺发货时间, else pay + the pack's default promise; None when unpaid."""
    if order.promised_ship_by is not None:
        return order.promised_ship_by
    return None if order.paid_at is None else order.paid_at + hours(pack.default_promise_hours)


# ── shipping-problem feedback (M4) ──────────────────────────────────────────────────────────────────────


def is_negative(feedback: FeedbackFact) -> bool:
    """A rating of 1 or 2 (of 5), or no rating at all (a complaint)."""
    return feedback.rating is None or feedback.rating <= 2


def counted_tags(order: OrderFact, feedback: FeedbackFact, pack: RulePack) -> frozenset[str]:
    """The shipping-problem tags a feedback counts for; empty when it is not negative or fully excused.
    An exclusion removes only the [发货慢] tag, so [发货慢, 包装破损] still counts."""
    if not is_negative(feedback):
        return frozenset()
    tags = set(feedback.tags) & pack.shipping_tags
    if pack.slow_tag in tags and slow_tag_excused(order, feedback.created_at, pack):
        tags.discard(pack.slow_tag)
    return frozenset(tags)


def slow_tag_excused(order: OrderFact, created: datetime, pack: RulePack) -> bool:
    """[发货慢] before the promise (in stock) or within the presale grace after payment is not a failure."""
    if order.is_presale:
        paid = order.paid_at
        return paid is not None and created - paid <= hours(pack.presale_slow_grace_hours)
    promised = promised_ship_time(order, pack)
    return promised is not None and created < promised


# ── delivery and freshness (M2, M3) ─────────────────────────────────────────────────────────────────────


def delivered_at(parcel: ParcelFact, by: datetime | None = None) -> datetime | None:
    """The parcel's first `delivered` event (events are sorted by time: the first one found; if it came
    after `by`, every later one did)."""
    for event in parcel.events:
        if event.status == DELIVERED:
            return event.time if _known(event.time, by) else None
    return None


def returned_at(parcel: ParcelFact, by: datetime | None = None) -> datetime | None:
    """The first `returned` or `rejected` event: such a parcel is not a delivery."""
    for event in parcel.events:
        if event.status in NOT_DELIVERIES:
            return event.time if _known(event.time, by) else None
    return None


def tracked_times(parcel: ParcelFact, by: datetime) -> list[datetime]:
    """Event times from pickup to the first delivery, as known at `by`; an undelivered parcel's times end
    at `by` itself (the silence up to now counts)."""
    pickup = parcel_pickup(parcel, by)
    if pickup is None:
        return []
    known = sorted(e.time for e in parcel.events if pickup <= e.time <= by)
    delivered = delivered_at(parcel, by)
    if delivered is None:
        return [*known, by]
    return [t for t in known if t <= delivered]


def stale_at(parcel: ParcelFact, pack: RulePack) -> datetime | None:
    """The moment the parcel stops being fresh: the first time, from pickup to delivery, that more than the
    pack's gap G passes without an event; None when it never does. It is stale as of an evaluation time E
    exactly when stale_at < E (a gap of exactly G is still fresh)."""
    pickup = parcel_pickup(parcel)
    return None if pickup is None else stale_after(parcel, pack, pickup, delivered_at(parcel))


def stale_after(
    parcel: ParcelFact, pack: RulePack, pickup: datetime, delivered: datetime | None
) -> datetime | None:
    """stale_at for a parcel whose pickup and first delivery (None: not delivered) are known already."""
    gap = hours(pack.freshness_gap_hours)
    times = [e.time for e in parcel.events if e.time >= pickup and (delivered is None or e.time <= delivered)]
    for current, following in pairwise(times):
        if following - current > gap:
            return current + gap
    return times[-1] + gap if delivered is None else None


def is_stalled(parcel: ParcelFact, pack: RulePack, now: datetime) -> bool:
    """轨迹停滞 right now: picked up, not delivered, and silent for more than G hours."""
    times = tracked_times(parcel, now)
    undelivered = delivered_at(parcel, now) is None
    return undelivered and len(times) >= 2 and times[-1] - times[-2] > hours(pack.freshness_gap_hours)
