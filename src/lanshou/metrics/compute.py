"""M1–M6 exactly as METRICS.md defines them: pure functions over OrderFact, no I/O.

Every question is asked "as of the evaluation time" (D 00:00 in the shop's timezone): events and feedback
stamped later are ignored, so a report as of a past day shows what was knowable then. All datetimes are
naive UTC; only window edges are computed in local time.

Per-order/per-parcel classifiers (`m1_outcome`, `m2_delivery`, `m3_outcome`, `m4_negative`, `m5_outcome`)
are the reusable core; `Accumulator` sums their results (mergeable, so "all" = merge of the shops and a
rollup may keep one per day); `compute_report` builds the JSON contract.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.metrics.facts import FeedbackFact, OrderFact, ParcelFact
from lanshou.metrics.packs import SCORE_PARTS, RulePack, pack_for
from lanshou.orders.status import CLOSED_BEFORE_FULFILMENT
from lanshou.shops.model import ShopInfo
from lanshou.tracking.status import TrackingStatus

Outcome = Literal["on_time", "late", "undecided"]
Freshness = Literal["fresh", "stale"]

CLOSED = frozenset(s.value for s in CLOSED_BEFORE_FULFILMENT)
NOT_DELIVERIES = frozenset({TrackingStatus.RETURNED.value, TrackingStatus.REJECTED.value})
DELIVERED = TrackingStatus.DELIVERED.value
INFO_RECEIVED = TrackingStatus.INFO_RECEIVED.value


# ── time ────────────────────────────────────────────────────────────────────────────────────────────────


def evaluation_time(as_of: date, tz: str) -> datetime:
    """D 00:00 in the shop's timezone, as naive UTC (fold=0 for a DST-ambiguous or missing midnight)."""
    local = datetime.combine(as_of, time(), tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)


def window(as_of: date, window_days: int, tz: str) -> tuple[datetime, datetime]:
    """[D-N 00:00, D 00:00) local as naive UTC; across a DST change it is not N*24 h long."""
    return evaluation_time(as_of - timedelta(days=window_days), tz), evaluation_time(as_of, tz)


@dataclass(frozen=True)
class Window:
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive; also the evaluation time

    @classmethod
    def of(cls, as_of: date, window_days: int, tz: str) -> Window:
        return cls(*window(as_of, window_days, tz))

    def __contains__(self, t: object) -> bool:
        return isinstance(t, datetime) and self.start <= t < self.end


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _in(t: datetime | None, start: datetime | None, end: datetime) -> bool:
    return t is not None and t < end and (start is None or t >= start)


# ── per order / per parcel ──────────────────────────────────────────────────────────────────────────────


def parcel_pickup(parcel: ParcelFact, eval_time: datetime) -> datetime | None:
    """The parcel's first carrier scan (any status but info_received) known by the evaluation time."""
    scans = [e.time for e in parcel.events if e.status != INFO_RECEIVED and e.time <= eval_time]
    return min(scans, default=None)


def pickup_time(order: OrderFact, eval_time: datetime) -> datetime | None:
    """An order is picked up when its first parcel is scanned (a 'shipped' mark is not a pickup)."""
    scans = (parcel_pickup(p, eval_time) for p in order.parcels)
    return min((t for t in scans if t is not None), default=None)


def is_paid(order: OrderFact) -> bool:
    return order.paid_at is not None


def closed_before_pickup(order: OrderFact, eval_time: datetime) -> bool:
    """Cancelled/refunded and not picked up by the evaluation time: out of M1 and M5."""
    return order.status in CLOSED and pickup_time(order, eval_time) is None


def m1_limit_hours(order: OrderFact, pack: RulePack) -> float:
    """The long limit only when EVERY item is in a long-limit category; no categories -> the default."""
    cats = order.categories
    long = pack.long_categories
    if cats and all(c in long for c in cats):
        return pack.long_limit_hours
    return pack.limit_hours


def m1_deadline(order: OrderFact, pack: RulePack, limit_hours: float | None = None) -> datetime | None:
    if order.paid_at is None or order.is_presale:
        return None
    return order.paid_at + _hours(m1_limit_hours(order, pack) if limit_hours is None else limit_hours)


def promised_ship_time(order: OrderFact, pack: RulePack) -> datetime | None:
    """The platform's 承诺发货时间, else pay + the pack's default promise."""
    if order.promised_ship_by is not None:
        return order.promised_ship_by
    return None if order.paid_at is None else order.paid_at + _hours(pack.default_promise_hours)


def judge(deadline: datetime, pickup: datetime | None, eval_time: datetime) -> Outcome:
    """On time when picked up by the deadline (inclusive); late once it is strictly past unpicked."""
    if pickup is not None:
        return "on_time" if pickup <= deadline else "late"
    return "late" if deadline < eval_time else "undecided"


def m1_outcome(
    order: OrderFact,
    pack: RulePack,
    eval_time: datetime,
    window_start: datetime | None = None,
    limit_hours: float | None = None,
) -> Outcome | None:
    """M1 class of one order, None when outside the population (unpaid, presale, paid outside
    [window_start, eval_time), closed before pickup). `limit_hours` overrides L (extra blocks)."""
    if order.is_presale or not _in(order.paid_at, window_start, eval_time):
        return None
    if closed_before_pickup(order, eval_time):
        return None
    deadline = m1_deadline(order, pack, limit_hours)
    assert deadline is not None  # paid and not presale
    return judge(deadline, pickup_time(order, eval_time), eval_time)


def m5_outcome(
    order: OrderFact, pack: RulePack, eval_time: datetime, window_start: datetime | None = None
) -> Outcome | None:
    """M5: orders (presale included) whose promised ship time falls in the window, less closed-before-pickup.
    Without a window start every paid order is judged, so a future promise is `undecided`."""
    promised = promised_ship_time(order, pack)
    if not is_paid(order) or promised is None or closed_before_pickup(order, eval_time):
        return None
    if window_start is not None and not _in(promised, window_start, eval_time):
        return None
    return judge(promised, pickup_time(order, eval_time), eval_time)


def m2_delivery(
    parcel: ParcelFact, eval_time: datetime, window_start: datetime | None = None
) -> tuple[datetime, float] | None:
    """(first delivered time, hours since the parcel's pickup), or None: not delivered in the window by
    the evaluation time, or returned/rejected (not a delivery)."""
    known = [e for e in parcel.events if e.time <= eval_time]
    if any(e.status in NOT_DELIVERIES for e in known):
        return None
    delivered = min((e.time for e in known if e.status == DELIVERED), default=None)
    pickup = parcel_pickup(parcel, eval_time)
    if delivered is None or pickup is None or not _in(delivered, window_start, eval_time):
        return None
    return delivered, (delivered - pickup).total_seconds() / 3600


def m3_outcome(
    parcel: ParcelFact, pack: RulePack, eval_time: datetime, window_start: datetime | None = None
) -> Freshness | None:
    """M3 for parcels picked up in the window: stale when any gap > G from pickup to delivery (or to the
    evaluation time when undelivered). A gap of exactly G is still fresh."""
    pickup = parcel_pickup(parcel, eval_time)
    if pickup is None or not _in(pickup, window_start, eval_time):
        return None
    return "stale" if largest_gap(parcel, eval_time) > _hours(pack.freshness_gap_hours) else "fresh"


def largest_gap(parcel: ParcelFact, eval_time: datetime) -> timedelta:
    times = tracked_times(parcel, eval_time)
    return max((b - a for a, b in pairwise(times)), default=timedelta(0))


def tracked_times(parcel: ParcelFact, eval_time: datetime) -> list[datetime]:
    """Event times from pickup to the first delivery; undelivered parcels end at the evaluation time."""
    pickup = parcel_pickup(parcel, eval_time)
    if pickup is None:
        return []
    known = sorted(e.time for e in parcel.events if pickup <= e.time <= eval_time)
    delivered = min(
        (e.time for e in parcel.events if e.status == DELIVERED and e.time <= eval_time), default=None
    )
    if delivered is None:
        return [*known, eval_time]
    return [t for t in known if t <= delivered]


def is_stalled(parcel: ParcelFact, pack: RulePack, eval_time: datetime) -> bool:
    """轨迹停滞 alert: picked up, not delivered, and silent for more than G hours right now."""
    times = tracked_times(parcel, eval_time)
    undelivered = not any(e.status == DELIVERED and e.time <= eval_time for e in parcel.events)
    return undelivered and len(times) >= 2 and times[-1] - times[-2] > _hours(pack.freshness_gap_hours)


def counted_tags(order: OrderFact, feedback: FeedbackFact, pack: RulePack) -> frozenset[str]:
    """The shipping-problem tags a feedback counts for; empty when it is not negative or fully excused.
    An exclusion removes only the [发货慢] tag, so [发货慢, 包装破损] still counts."""
    if feedback.rating is not None and feedback.rating > 2:  # negative: 1–2, or no rating (a complaint)
        return frozenset()
    tags = set(feedback.tags) & pack.shipping_tags
    if pack.slow_tag in tags and slow_tag_excused(order, feedback.created_at, pack):
        tags.discard(pack.slow_tag)
    return frozenset(tags)


def slow_tag_excused(order: OrderFact, created: datetime, pack: RulePack) -> bool:
    """[发货慢] before the promise (in stock) or within the presale grace after payment is not a failure."""
    if order.is_presale:
        paid = order.paid_at
        return paid is not None and created - paid <= _hours(pack.presale_slow_grace_hours)
    promised = promised_ship_time(order, pack)
    return promised is not None and created < promised


def m4_negative(order: OrderFact, pack: RulePack, eval_time: datetime) -> bool:
    """At least one counting shipping-problem feedback made by the evaluation time (counted once)."""
    return any(f.created_at <= eval_time and counted_tags(order, f, pack) for f in order.feedback)


def m4_in_population(order: OrderFact, eval_time: datetime, window_start: datetime | None = None) -> bool:
    """Orders paid in the window, presale and cancelled included."""
    return _in(order.paid_at, window_start, eval_time)


# ── accumulation ────────────────────────────────────────────────────────────────────────────────────────


def _outcomes() -> dict[str, int]:
    return {"on_time": 0, "late": 0, "undecided": 0}


@dataclass(eq=False)
class Accumulator:
    """Counters + raw durations for one shop (or any slice); `merge` is exact, so any split sums back."""

    m1: dict[str, int] = field(default_factory=_outcomes)
    m5: dict[str, int] = field(default_factory=_outcomes)
    m3: dict[str, int] = field(default_factory=lambda: {"fresh": 0, "parcels": 0})
    m4: dict[str, int] = field(default_factory=lambda: {"negative_orders": 0, "paid_orders": 0})
    # M2: (hours, carrier, destination province) per delivered parcel, kept raw so medians merge exactly
    deliveries: list[tuple[float, str, str]] = field(default_factory=list)
    extra: dict[str, dict[str, int]] = field(default_factory=dict)  # extra M1 blocks by name
    # tracking numbers counted: a parcel carrying several orders (合并发货) counts once (M2, M3)
    parcels_seen: set[str] = field(default_factory=set)

    def add_order(self, order: OrderFact, pack: RulePack, win: Window) -> None:
        if not is_paid(order):
            return  # never paid: counts nowhere, its parcels included
        start, end = win.start, win.end
        _count(self.m1, m1_outcome(order, pack, end, start))
        _count(self.m5, m5_outcome(order, pack, end, start))
        for name, hours in pack.extra_pickup_limits.items():
            _count(self.extra.setdefault(name, _outcomes()), m1_outcome(order, pack, end, start, hours))
        if m4_in_population(order, end, start):
            self.m4["paid_orders"] += 1
            self.m4["negative_orders"] += m4_negative(order, pack, end)
        for parcel in order.parcels:
            if parcel.tracking_no not in self.parcels_seen:
                self.parcels_seen.add(parcel.tracking_no)
                self._add_parcel(parcel, pack, win, order.province)

    def _add_parcel(self, parcel: ParcelFact, pack: RulePack, win: Window, province: str) -> None:
        delivery = m2_delivery(parcel, win.end, win.start)
        if delivery is not None:
            self.deliveries.append((delivery[1], parcel.carrier, parcel.province or province))
        fresh = m3_outcome(parcel, pack, win.end, win.start)
        if fresh is not None:
            self.m3["parcels"] += 1
            self.m3["fresh"] += fresh == "fresh"

    def merge(self, other: Accumulator) -> Accumulator:
        """A new accumulator holding both (neither input changes)."""
        extra = {k: _sum(self.extra.get(k), other.extra.get(k)) for k in {*self.extra, *other.extra}}
        return Accumulator(
            m1=_sum(self.m1, other.m1),
            m5=_sum(self.m5, other.m5),
            m3=_sum(self.m3, other.m3),
            m4=_sum(self.m4, other.m4),
            deliveries=[*self.deliveries, *other.deliveries],
            extra=extra,
            parcels_seen=self.parcels_seen | other.parcels_seen,
        )

    def __eq__(self, other: object) -> bool:
        # deliveries are a multiset: the order in which parts were merged does not matter
        if not isinstance(other, Accumulator):
            return NotImplemented
        mine = (self.m1, self.m5, self.m3, self.m4, self.extra, sorted(self.deliveries))
        return mine == (other.m1, other.m5, other.m3, other.m4, other.extra, sorted(other.deliveries))

    @property
    def durations(self) -> list[float]:
        return [hours for hours, _, _ in self.deliveries]

    def to_blocks(self) -> dict[str, Any]:
        """The M1–M5 blocks of the contract, plus extra M1 blocks (e.g. pay_to_pickup_48h)."""
        blocks: dict[str, Any] = {
            "pay_to_pickup": outcome_block(self.m1),
            "delivery_hours": duration_block(self.durations),
            "tracking_freshness": {**self.m3, "rate": rate(self.m3["fresh"], self.m3["parcels"])},
            "shipping_negative_feedback": {
                **self.m4,
                "rate": rate(self.m4["negative_orders"], self.m4["paid_orders"]),
            },
            "late_shipment": outcome_block(self.m5),
        }
        blocks.update({name: outcome_block(counts) for name, counts in sorted(self.extra.items())})
        # the carrier scorecard (METRICS.md M2 "also by carrier and by destination province")
        blocks["delivery_hours_by_carrier"] = self._delivery_by(1)
        blocks["delivery_hours_by_province"] = self._delivery_by(2)
        return blocks

    def _delivery_by(self, key: int) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[float]] = {}
        for delivery in self.deliveries:
            groups.setdefault(str(delivery[key]), []).append(delivery[0])
        return {name: duration_block(hours) for name, hours in sorted(groups.items())}


def _count(counter: dict[str, int], outcome: str | None) -> None:
    if outcome is not None:
        counter[outcome] += 1


def _sum(a: Mapping[str, int] | None, b: Mapping[str, int] | None) -> dict[str, int]:
    a, b = a or {}, b or {}
    return {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b}}


@dataclass
class ShopMetrics:
    """One shop's pack and window with its accumulator: `add(order)` then `to_blocks()`."""

    info: ShopInfo
    pack: RulePack
    win: Window
    acc: Accumulator = field(default_factory=Accumulator)

    @classmethod
    def for_shop(
        cls, info: ShopInfo, as_of: date, window_days: int = 30, tz: str | None = None
    ) -> ShopMetrics:
        pack = pack_for(info)
        # the pack's extra blocks are reported even for a shop with nothing counted, as M1 is
        acc = Accumulator(extra={name: _outcomes() for name in pack.extra_pickup_limits})
        return cls(info, pack, Window.of(as_of, window_days, tz or info.timezone), acc)

    def add(self, order: OrderFact) -> None:
        self.acc.add_order(order, self.pack, self.win)

    def merge(self, other: ShopMetrics) -> Accumulator:
        return self.acc.merge(other.acc)

    def to_blocks(self) -> dict[str, Any]:
        blocks = self.acc.to_blocks()
        blocks["experience_score"] = experience_score(blocks, self.pack)
        return blocks


# ── statistics ──────────────────────────────────────────────────────────────────────────────────────────


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def outcome_block(counts: Mapping[str, int]) -> dict[str, Any]:
    on_time, late = counts.get("on_time", 0), counts.get("late", 0)
    undecided = counts.get("undecided", 0)
    return {"on_time": on_time, "late": late, "undecided": undecided, "rate": rate(on_time, on_time + late)}


def percentile_cont(sorted_values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL percentile_cont: linear between ranks (median of 1,2,3,10 = 2.5; p90 = 7.9)."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def duration_block(durations: Iterable[float]) -> dict[str, Any]:
    values = sorted(durations)
    mean = math.fsum(values) / len(values) if values else None
    return {
        "count": len(values),
        "mean": mean,
        "median": percentile_cont(values, 0.5),
        "p90": percentile_cont(values, 0.9),
    }


# ── M6 ──────────────────────────────────────────────────────────────────────────────────────────────────

# the value each sub-metric is scored on
SCORE_VALUES = {
    "pay_to_pickup": ("pay_to_pickup", "rate"),
    "delivery_hours": ("delivery_hours", "mean"),
    "tracking_freshness": ("tracking_freshness", "rate"),
    "shipping_negative_feedback": ("shipping_negative_feedback", "rate"),
}


def points(table: Sequence[tuple[float, float]], value: float) -> float:
    """Piecewise-linear points between the table's knots, clamped to the end knots outside them."""
    if value <= table[0][0]:
        return table[0][1]
    for (x0, y0), (x1, y1) in pairwise(table):
        if value <= x1:
            return y0 + (y1 - y0) * (value - x0) / (x1 - x0)
    return table[-1][1]


def experience_score(blocks: Mapping[str, Any], pack: RulePack) -> dict[str, Any]:
    """M6: the weighted mean of the points of the sub-metrics that have a value; parts without a value
    (nothing decided) are listed as skipped and left out of both sums. Always an estimate."""
    parts: dict[str, Any] = {}
    weighted = total_weight = 0.0
    for name in SCORE_PARTS:
        block, key = SCORE_VALUES[name]
        value = blocks.get(block, {}).get(key)
        weight = pack.score_weights.get(name, 0.0)
        table = pack.score_tables.get(name)
        pts = None if value is None or table is None else points(table, value)
        parts[name] = {
            "value": value,
            "points": pts,
            "weight": weight,
            "table": [list(knot) for knot in table or ()],
            "skipped": pts is None,
        }
        if pts is not None and weight > 0:
            weighted += weight * pts
            total_weight += weight
    score = weighted / total_weight if total_weight > 0 else None
    return {"score": score, "estimate": True, "scale": [0, 5], "parts": parts}


def combined_score(
    entries: Sequence[tuple[RulePack, dict[str, Any]]], merged: dict[str, Any]
) -> dict[str, Any]:
    """M6 over several shops: their own pack when all shops share one platform pack; otherwise (packs
    differ) the paid-order weighted mean of the shops' scores, since no single table applies."""
    packs = [pack for pack, _ in entries]
    if packs and all(p == packs[0] for p in packs):  # packs hold dicts: compare, do not hash
        return experience_score(merged, packs[0])
    scored = [
        (b["experience_score"]["score"], b["shipping_negative_feedback"]["paid_orders"])
        for _, b in entries
        if b["experience_score"]["score"] is not None
    ]
    weight = sum(n for _, n in scored)
    score = sum(s * n for s, n in scored) / weight if weight else None
    return {
        "score": score,
        "estimate": True,
        "scale": [0, 5],
        "parts": {},
        "method": "paid-order weighted mean of shop scores",
    }


# ── report ──────────────────────────────────────────────────────────────────────────────────────────────


def compute_report(
    orders: Iterable[OrderFact],
    shops: Sequence[ShopInfo],
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
) -> dict[str, Any]:
    """The METRICS.md report. Each shop is evaluated in its own timezone unless `timezone` overrides.
    Orders of shops not in `shops` are ignored (the shop list is the report's scope, e.g. --shop).
    The top-level "timezone" is the override, else the shops' common zone, else (mixed or no shops)
    DEFAULT_TIMEZONE; each shop entry carries its own "timezone" so mixed reports stay unambiguous."""
    metrics = {(s.platform, s.shop): ShopMetrics.for_shop(s, as_of, window_days, timezone) for s in shops}
    for order in orders:
        shop = metrics.get((order.platform, order.shop))
        if shop is not None:
            shop.add(order)
    entries, scored = [], []
    for (platform, name), shop in metrics.items():
        blocks = shop.to_blocks()
        scored.append((shop.pack, blocks))
        zone = timezone or shop.info.timezone
        entries.append({"platform": platform, "shop": name, "timezone": zone, **blocks})
    merged = Accumulator()
    for shop in metrics.values():
        merged = merged.merge(shop.acc)
    everything = merged.to_blocks()
    everything["experience_score"] = combined_score(scored, everything)
    return {
        "as_of": as_of.isoformat(),
        "window_days": window_days,
        "timezone": timezone or _common_zone({s.timezone for s in shops}),
        "shops": entries,
        "all": everything,
    }


def _common_zone(zones: set[str]) -> str:
    return next(iter(zones)) if len(zones) == 1 else DEFAULT_TIMEZONE


def score_for_shops(shops: Sequence[ShopInfo], blocks: dict[str, Any]) -> dict[str, Any]:
    """M6 for the rollup report service (reports.metrics_report.Rules.score): the shops' pack when they
    share a platform pack, else the first shop's pack (the rollup path has no per-shop blocks here)."""
    packs = [pack_for(s) for s in shops]
    if not packs:
        return {"score": None, "estimate": True, "scale": [0, 5], "parts": {}}
    return experience_score(blocks, packs[0])
