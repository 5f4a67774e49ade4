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
from typing import Any, Literal
from zoneinfo import ZoneInfo

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.metrics import rules
from lanshou.metrics.facts import OrderFact, ParcelFact
from lanshou.metrics.packs import RulePack, pack_for
from lanshou.metrics.score import combined_score, experience_score
from lanshou.shops.model import ShopInfo

Outcome = Literal["on_time", "late", "undecided"]
Freshness = Literal["fresh", "stale"]


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


def _in(t: datetime | None, start: datetime | None, end: datetime) -> bool:
    return t is not None and t < end and (start is None or t >= start)


# ── per order / per parcel ──────────────────────────────────────────────────────────────────────────────
# The rules themselves (pickup, deadlines, 发货慢 exclusions, freshness) live in metrics/rules.py; these
# classify one order or parcel for a window.


def is_paid(order: OrderFact) -> bool:
    return order.paid_at is not None


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
    if rules.closed_before_pickup(order, eval_time):
        return None
    deadline = rules.pickup_deadline(order, pack, limit_hours)
    assert deadline is not None  # paid and not presale
    return judge(deadline, rules.order_pickup(order, eval_time), eval_time)


def m5_outcome(
    order: OrderFact, pack: RulePack, eval_time: datetime, window_start: datetime | None = None
) -> Outcome | None:
    """M5: orders (presale included) whose promised ship time falls in the window, less closed-before-pickup.
    Without a window start every paid order is judged, so a future promise is `undecided`."""
    promised = rules.promised_ship_time(order, pack)
    if not is_paid(order) or promised is None or rules.closed_before_pickup(order, eval_time):
        return None
    if window_start is not None and not _in(promised, window_start, eval_time):
        return None
    return judge(promised, rules.order_pickup(order, eval_time), eval_time)


def m2_delivery(
    parcel: ParcelFact, eval_time: datetime, window_start: datetime | None = None
) -> tuple[datetime, float] | None:
    """(first delivered time, hours since the parcel's pickup), or None: not delivered in the window by
    the evaluation time, or returned/rejected (not a delivery)."""
    if rules.returned_at(parcel, eval_time) is not None:
        return None
    delivered = rules.delivered_at(parcel, eval_time)
    pickup = rules.parcel_pickup(parcel, eval_time)
    if delivered is None or pickup is None or not _in(delivered, window_start, eval_time):
        return None
    return delivered, (delivered - pickup).total_seconds() / 3600


def m3_outcome(
    parcel: ParcelFact, pack: RulePack, eval_time: datetime, window_start: datetime | None = None
) -> Freshness | None:
    """M3 for parcels picked up in the window: stale when, from pickup to delivery (or to the evaluation
    time when undelivered), more than G hours passed without an event."""
    pickup = rules.parcel_pickup(parcel, eval_time)
    if pickup is None or not _in(pickup, window_start, eval_time):
        return None
    stale = rules.stale_at(parcel, pack)
    return "stale" if stale is not None and stale < eval_time else "fresh"


def m4_negative(order: OrderFact, pack: RulePack, eval_time: datetime) -> bool:
    """At least one counting shipping-problem feedback made by the evaluation time (counted once)."""
    return any(f.created_at <= eval_time and rules.counted_tags(order, f, pack) for f in order.feedback)


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
        extra = {
            k: _sum(self.extra.get(k), other.extra.get(k)) for k in dict.fromkeys([*self.extra, *other.extra])
        }
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
    return {k: a.get(k, 0) + b.get(k, 0) for k in dict.fromkeys([*a, *b])}  # key order kept: stable JSON


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
