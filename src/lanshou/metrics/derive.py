"""Turn one order's facts into the evaluation-independent keys the rollups count by.

A report "as of D" evaluates at D 00:00 in the shop's timezone. Every per-order question the report asks
("picked up by then?", "deadline passed by then?", "stale by then?") reduces to comparing one local date
stored here with D, so daily rollups answer reports for any D — including past ones — without raw rows.
- `day(t)`: the local date of t; t is in a window [A 00:00, D 00:00) exactly when A <= day(t) < D.
- `eday(t)`: the local date of t - 1 µs; t <= D 00:00 (it happened by the evaluation time) exactly when
  eday(t) < D. NEVER stands for "has not happened".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from lanshou.metrics.facts import OrderFact, ParcelFact
from lanshou.orders.status import CLOSED_BEFORE_FULFILMENT
from lanshou.tracking.status import TrackingStatus

NEVER = date(9999, 12, 31)
BUCKET_SECONDS = 3600  # delivery-duration histogram buckets of an hour: few rollup rows per shop-day
EPSILON = timedelta(microseconds=1)
NOT_DELIVERIES = frozenset({TrackingStatus.RETURNED.value, TrackingStatus.REJECTED.value})
CLOSED = frozenset(s.value for s in CLOSED_BEFORE_FULFILMENT)


@dataclass(frozen=True)
class DeriveRules:
    """The rule-pack values derivation needs (built from the shop's pack)."""

    limit_hours: int
    long_limit_hours: int
    long_limit_categories: frozenset[str]
    default_promise_hours: float
    presale_slow_grace_hours: float
    shipping_tags: frozenset[str]
    slow_tag: str
    freshness_gap_hours: float
    # extra M1-style blocks with their own limit for every order, e.g. Taobao's ("pay_to_pickup_48h", 48)
    extra_pickup_limits: tuple[tuple[str, float], ...] = ()


def local_day(t: datetime, tz: tzinfo) -> date:
    return t.replace(tzinfo=UTC).astimezone(tz).date()


def local_eday(t: datetime | None, tz: tzinfo) -> date:
    return NEVER if t is None else local_day(t - EPSILON, tz)


def order_limit_hours(order: OrderFact, rules: DeriveRules) -> int:
    """The long limit applies only when every item's category is on the long list."""
    if order.categories and all(c in rules.long_limit_categories for c in order.categories):
        return rules.long_limit_hours
    return rules.limit_hours


def parcel_pickup(parcel: ParcelFact) -> datetime | None:
    return next((e.time for e in parcel.events if e.status != TrackingStatus.INFO_RECEIVED), None)


def first_scan(order: OrderFact) -> tuple[datetime | None, str]:
    """The order's pickup (first scan of any parcel) and that parcel's carrier."""
    best: tuple[datetime | None, str] = (None, order.parcels[0].carrier if order.parcels else "")
    for parcel in order.parcels:
        scan = parcel_pickup(parcel)
        if scan is not None and (best[0] is None or scan < best[0]):
            best = (scan, parcel.carrier)
    return best


def promised_ship_time(order: OrderFact, rules: DeriveRules) -> datetime | None:
    if order.promised_ship_by is not None:
        return order.promised_ship_by
    if order.paid_at is None:
        return None
    return order.paid_at + timedelta(hours=rules.default_promise_hours)


def counts_as_shipping_negative(
    order: OrderFact, rules: DeriveRules, created: datetime, rating: int | None, tags: tuple[str, ...]
) -> bool:
    if rating is not None and rating > 2:
        return False
    counted = set(tags) & rules.shipping_tags
    if rules.slow_tag in counted and _slow_tag_excused(order, rules, created):
        counted.discard(rules.slow_tag)
    return bool(counted)


def _slow_tag_excused(order: OrderFact, rules: DeriveRules, created: datetime) -> bool:
    if order.is_presale:
        paid = order.paid_at
        return paid is not None and created - paid <= timedelta(hours=rules.presale_slow_grace_hours)
    promised = promised_ship_time(order, rules)
    return promised is not None and created < promised


def derive_order(order: OrderFact, rules: DeriveRules, tz: tzinfo) -> dict[str, Any]:
    """The metric_orders row (minus its key) for one order."""
    row: dict[str, Any] = dict.fromkeys(
        (
            "pay_day",
            "limit_hours",
            "pickup_eday",
            "pickup_on_time",
            "deadline_day",
            "closed",
            "promise_day",
            "by_promise",
            "negative_eday",
        )
    )
    row["extra_m1"] = {}
    pickup, carrier = first_scan(order)
    row["carrier"], row["province"] = carrier, order.province
    pay = order.paid_at
    if pay is None:
        return row  # never paid: counts nowhere
    row["pay_day"] = local_day(pay, tz)
    row["pickup_eday"] = local_eday(pickup, tz)
    row["closed"] = order.status in CLOSED
    if not order.is_presale:
        limit = order_limit_hours(order, rules)
        row["limit_hours"] = limit
        row["pickup_on_time"] = pickup is not None and pickup - pay <= timedelta(hours=limit)
        row["deadline_day"] = local_day(pay + timedelta(hours=limit), tz)
        for name, hours in rules.extra_pickup_limits:
            on_time = pickup is not None and pickup - pay <= timedelta(hours=hours)
            row["extra_m1"][name] = (
                int(hours),
                on_time,
                local_day(pay + timedelta(hours=hours), tz).isoformat(),
            )
    promised = promised_ship_time(order, rules)
    if promised is not None:
        row["promise_day"] = local_day(promised, tz)
        row["by_promise"] = pickup is not None and pickup <= promised
    negatives = [
        f.created_at
        for f in order.feedback
        if counts_as_shipping_negative(order, rules, f.created_at, f.rating, f.tags)
    ]
    row["negative_eday"] = local_eday(min(negatives), tz) if negatives else NEVER
    return row


def derive_parcel(parcel: ParcelFact, rules: DeriveRules, tz: tzinfo) -> dict[str, Any]:
    """The metric_parcels row (minus its keys) for one parcel."""
    row: dict[str, Any] = {
        "carrier": parcel.carrier,
        "province": parcel.province,
        "pickup_day": None,
        "stale_day": None,
        "delivered_day": None,
        "returned_eday": NEVER,
        "duration_s": None,
        "bucket": None,
    }
    pickup = parcel_pickup(parcel)
    if pickup is None:
        return row
    row["pickup_day"] = local_day(pickup, tz)
    delivered = next((e.time for e in parcel.events if e.status == TrackingStatus.DELIVERED), None)
    returned = next((e.time for e in parcel.events if e.status in NOT_DELIVERIES), None)
    row["returned_eday"] = local_eday(returned, tz)
    stale_at = _stale_at(parcel, pickup, delivered, timedelta(hours=rules.freshness_gap_hours))
    row["stale_day"] = NEVER if stale_at is None else local_day(stale_at, tz)
    if delivered is not None:
        seconds = (delivered - pickup).total_seconds()
        row.update(
            delivered_day=local_day(delivered, tz), duration_s=seconds, bucket=int(seconds // BUCKET_SECONDS)
        )
    return row


def _stale_at(
    parcel: ParcelFact, pickup: datetime, delivered: datetime | None, gap: timedelta
) -> datetime | None:
    """The moment the parcel stops being fresh (an evaluation later than it sees a gap > G), or None."""
    times = [e.time for e in parcel.events if e.time >= pickup and (delivered is None or e.time <= delivered)]
    for current, following in pairwise(times):
        if following - current > gap:
            return current + gap
    if delivered is None:
        return times[-1] + gap
    return None
