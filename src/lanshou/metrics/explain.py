"""Why an order missed (METRICS.md "Explaining misses"): one actionable reason per miss, from evidence.

Precedence (first match wins), and why:
1. `held_for_review`   – the merchant's own review rules held it (timeline). Root cause: everything after
                         (no waybill, late scan) is a consequence, and the fix is in the merchant's rules.
2. `out_of_stock`      – the timeline says stock was missing. Same logic: nothing could ship without stock.
3. `no_waybill`        – no parcel / tracking number at all: the order never reached the shipping desk.
4. `shipped_no_scan`   – a tracking number but no carrier scan by the evaluation time (虚假发货 risk, the
                         most punished case), so it outranks any timing excuse.
5. `carrier_late_pickup` – the waybill was printed (shipped_at) by the deadline but the first scan came
                         after it: the warehouse did its part, the carrier did not.
6. `paid_after_cutoff` – paid after the daily carrier cutoff (local time), leaving a short first day.
7. `weekend_or_holiday` – pay day or deadline on a weekend / a holiday listed in the pack.
8. `unknown`           – no evidence; shown so staff can look.
Evidence about the order itself (1–5) beats calendar circumstances (6–7): circumstances only make a miss
likelier, while 1–5 name what actually stopped the parcel.

Stale parcels (M3) are past pickup, so only `weekend_or_holiday` (a day off inside the longest silent gap)
and `unknown` (the carrier's silence, with the gap in the detail) apply to them. A negative feedback
(M4) gets its order's M1/M5 reason when the order also shipped late; otherwise `unknown` (the complaint is
about the parcel, not about when it left).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from lanshou.metrics.compute import (
    ShopMetrics,
    m1_outcome,
    m3_outcome,
    m4_in_population,
    m4_negative,
    m5_outcome,
    rate,
)
from lanshou.metrics.derive import local_hour
from lanshou.metrics.facts import OrderFact, ParcelFact
from lanshou.metrics.packs import RulePack
from lanshou.metrics.rules import order_pickup, pickup_deadline, promised_ship_time, tracked_times
from lanshou.shops.model import ShopInfo

REASONS = (
    "held_for_review",
    "out_of_stock",
    "no_waybill",
    "shipped_no_scan",
    "carrier_late_pickup",
    "paid_after_cutoff",
    "weekend_or_holiday",
    "unknown",
)
NEGATIVE = "shipping_negative_feedback"
GroupBy = Literal["reason", "carrier", "sku", "warehouse", "pay_hour", "metric", "shop", "province"]


@dataclass(frozen=True)
class Miss:
    platform: str
    shop: str
    order_no: str
    metric: (
        str  # the report block: pay_to_pickup, late_shipment, tracking_freshness, shipping_negative_feedback
    )
    reason: str  # one of REASONS
    carrier: str
    skus: tuple[str, ...]
    warehouse: str
    pay_hour: int | None  # hour of payment in the shop's local time
    detail: str
    tracking_no: str = ""  # the stale parcel, for tracking_freshness
    province: str = ""  # the receiver's province


@dataclass(frozen=True)
class MissGroup:
    key: str
    count: int
    rate_gain: float | None  # how much the metric's rate would rise were these misses on time
    order_nos: tuple[str, ...]


@dataclass(frozen=True)
class Context:
    """What one shop's explanations need: pack, evaluation time and local zone."""

    pack: RulePack
    eval_time: datetime
    tz: ZoneInfo
    warehouse: str = ""


def local(t: datetime, tz: ZoneInfo) -> datetime:
    return t.replace(tzinfo=UTC).astimezone(tz)


# The reasons decided without a scan time, each with the one detail it ever has (a kept miss row stores no
# detail for them: lanshou.metrics.miss_store)
FIXED_DETAILS = {
    "held_for_review": "held by a review rule",
    "out_of_stock": "marked out of stock",
    "no_waybill": "no tracking number issued",
    "shipped_no_scan": "tracking number issued but no carrier scan",
}


def reason_for(order: OrderFact, deadline: datetime, ctx: Context) -> tuple[str, str]:
    """(reason, detail) for an order that was not picked up by `deadline`."""
    kinds = order.timeline_kinds
    if "held_for_review" in kinds:
        return _fixed("held_for_review")
    if "out_of_stock" in kinds:
        return _fixed("out_of_stock")
    if not order.parcels:
        return _fixed("no_waybill")
    pickup = order_pickup(order, ctx.eval_time)
    if pickup is None:
        return _fixed("shipped_no_scan")
    printed = [p.shipped_at for p in order.parcels if p.shipped_at is not None]
    if printed and min(printed) <= deadline < pickup:
        late_by = (pickup - deadline).total_seconds() / 3600
        return (
            "carrier_late_pickup",
            f"waybill printed in time, first scan {late_by:.1f} h after the deadline",
        )
    return _calendar_reason(order, deadline, ctx)


def _fixed(reason: str) -> tuple[str, str]:
    return reason, FIXED_DETAILS[reason]


def _calendar_reason(order: OrderFact, deadline: datetime | None, ctx: Context) -> tuple[str, str]:
    paid = order.paid_at
    if paid is not None and local(paid, ctx.tz).time() > ctx.pack.carrier_cutoff:
        return (
            "paid_after_cutoff",
            f"paid {local(paid, ctx.tz):%H:%M}, cutoff {ctx.pack.carrier_cutoff:%H:%M}",
        )
    days = [local(t, ctx.tz).date() for t in (paid, deadline) if t is not None]
    off = [d for d in days if _day_off(d, ctx.pack)]
    if off:
        return "weekend_or_holiday", f"{off[0].isoformat()} is a weekend or holiday"
    return "unknown", "no evidence in the data"


def stale_reason(parcel: ParcelFact, ctx: Context) -> tuple[str, str]:
    """A stale parcel's reason: a weekend/holiday inside its longest silent gap, else unknown."""
    times = tracked_times(parcel, ctx.eval_time)
    if len(times) < 2:
        return "unknown", "no tracking events"
    begin, end = max(pairwise(times), key=lambda gap: gap[1] - gap[0])
    detail = (
        f"no update for {(end - begin).total_seconds() / 3600:.1f} h after {local(begin, ctx.tz):%m-%d %H:%M}"
    )
    first, last = local(begin, ctx.tz).date(), local(end, ctx.tz).date()
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    if any(_day_off(day, ctx.pack) for day in days):
        return "weekend_or_holiday", detail + " (spans a weekend or holiday)"
    return "unknown", detail


def _day_off(day: date, pack: RulePack) -> bool:
    return day.weekday() >= 5 or day in pack.holidays


def _miss(
    order: OrderFact, metric: str, reason: tuple[str, str], ctx: Context, parcel: ParcelFact | None = None
) -> Miss:
    carrier = parcel.carrier if parcel else next((p.carrier for p in order.parcels), "")
    return Miss(
        platform=order.platform,
        shop=order.shop,
        order_no=order.order_no,
        metric=metric,
        reason=reason[0],
        carrier=carrier,
        skus=order.skus,
        warehouse=order.warehouse or ctx.warehouse,
        pay_hour=None if order.paid_at is None else local_hour(order.paid_at, ctx.tz),
        detail=reason[1],
        tracking_no=parcel.tracking_no if parcel else "",
        province=order.province,
    )


def order_misses(
    order: OrderFact, ctx: Context, window_start: datetime | None = None, metric: str | None = None
) -> list[Miss]:
    """Every miss of one order: late M1, late M5, stale M3 parcels, negative M4 (with `metric`, only the
    misses of that metric; M4 still looks at M1 and M5, whose reason it takes)."""
    found: list[Miss] = []
    pack, end = ctx.pack, ctx.eval_time
    wants = {metric} if metric else {"pay_to_pickup", "late_shipment", "tracking_freshness", NEGATIVE}
    late_reason: tuple[str, str] | None = None
    if wants & {"pay_to_pickup", NEGATIVE} and m1_outcome(order, pack, end, window_start) == "late":
        deadline = pickup_deadline(order, pack)
        assert deadline is not None
        late_reason = reason_for(order, deadline, ctx)
        found.append(_miss(order, "pay_to_pickup", late_reason, ctx))
    if wants & {"late_shipment", NEGATIVE} and m5_outcome(order, pack, end, window_start) == "late":
        promised = promised_ship_time(order, pack)
        assert promised is not None
        m5_reason = reason_for(order, promised, ctx)
        late_reason = late_reason or m5_reason
        found.append(_miss(order, "late_shipment", m5_reason, ctx))
    for parcel in order.parcels if "tracking_freshness" in wants else ():
        if m3_outcome(parcel, pack, end, window_start) == "stale":
            found.append(_miss(order, "tracking_freshness", stale_reason(parcel, ctx), ctx, parcel))
    if NEGATIVE in wants and m4_in_population(order, end, window_start) and m4_negative(order, pack, end):
        reason = late_reason or ("unknown", "shipped on time; see the feedback")
        found.append(_miss(order, NEGATIVE, reason, ctx))
    return [miss for miss in found if metric is None or miss.metric == metric]


def misses(
    orders: Iterable[OrderFact],
    shops: Sequence[ShopInfo],
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
    metric: str | None = None,
) -> list[Miss]:
    """All misses of the report as of `as_of` (same population and evaluation time as compute_report);
    with `metric`, those of that metric only."""
    shop_metrics = {
        (s.platform, s.shop): ShopMetrics.for_shop(s, as_of, window_days, timezone) for s in shops
    }
    found: list[Miss] = []
    stale_seen: set[tuple[str, str, str]] = set()  # a parcel carrying several orders is one M3 miss
    for order in orders:
        shop = shop_metrics.get((order.platform, order.shop))
        if shop is None:
            continue
        warehouse = str(shop.info.settings.get("warehouse", ""))
        ctx = Context(shop.pack, shop.win.end, ZoneInfo(timezone or shop.info.timezone), warehouse)
        for miss in order_misses(order, ctx, shop.win.start, metric):
            if miss.metric == "tracking_freshness":
                parcel = (miss.platform, miss.shop, miss.tracking_no)
                if order.paid_at is None or parcel in stale_seen:
                    continue  # as M3 counts them: parcels of paid orders, each once per shop
                stale_seen.add(parcel)
            found.append(miss)
    return found


def rollup_misses(
    found: Iterable[Miss],
    by: GroupBy = "reason",
    decided: int | None = None,
    metric: str | None = "pay_to_pickup",
) -> list[MissGroup]:
    """Group misses of `metric` (None: all metrics) by a key; `rate_gain` = count / decided, where
    `decided` is the metric's denominator (on_time + late for M1) — how many points of rate fixing that
    group would win. Sorted by impact (count), largest first. An order with several SKUs counts once in
    each of its SKU groups."""
    groups: dict[str, list[str]] = defaultdict(list)
    for miss in found:
        if metric is None or miss.metric == metric:
            for key in group_keys(miss, by):
                groups[key].append(miss.order_no)
    result = [
        MissGroup(key, len(nos), None if decided is None else rate(len(nos), decided), tuple(nos))
        for key, nos in groups.items()
    ]
    return sorted(result, key=lambda g: (-g.count, g.key))


def group_keys(miss: Miss, by: GroupBy) -> tuple[str, ...]:
    if by == "sku":
        return miss.skus or ("",)
    if by == "pay_hour":
        return ("" if miss.pay_hour is None else f"{miss.pay_hour:02d}",)
    if by == "shop":
        return (f"{miss.platform}:{miss.shop}",)
    return (str(getattr(miss, by)),)
