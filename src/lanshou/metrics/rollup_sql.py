"""Answer the metric report from the rollup tables: sums over at most window × keys rows, no raw scans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from lanshou.db.metadata import metadata
from lanshou.metrics import tables as mt

MAIN_RULE = "pay_to_pickup"  # the rule name of the pack's own M1 rows


@dataclass
class Counts:
    """Raw counts for one shop (or all): the blocks of the report are computed from these."""

    m1: dict[str, int] = field(default_factory=lambda: {"on_time": 0, "late": 0, "undecided": 0})
    extra_m1: dict[str, dict[str, int]] = field(default_factory=dict)  # extra M1 blocks by name
    m5: dict[str, int] = field(default_factory=lambda: {"on_time": 0, "late": 0, "undecided": 0})
    m4: dict[str, int] = field(default_factory=lambda: {"negative_orders": 0, "paid_orders": 0})
    m3: dict[str, int] = field(default_factory=lambda: {"fresh": 0, "parcels": 0})
    delivery_count: int = 0
    delivery_seconds: float = 0.0
    median_s: float | None = None
    p90_s: float | None = None
    histogram: dict[int, tuple[int, float]] = field(default_factory=dict)  # M2: bucket -> (n, seconds)


def _sum(condition: Any, n: Any) -> Any:
    return func.coalesce(func.sum(case((condition, n), else_=0)), 0)


def window_counts(
    conn: Connection, as_of: date, window_days: int, shop_ids: Sequence[int]
) -> dict[int, Counts]:
    start = as_of - timedelta(days=window_days)
    result = {shop_id: Counts() for shop_id in shop_ids}
    m1_counts(conn, start, as_of, shop_ids, result)
    m5_counts(conn, start, as_of, shop_ids, result)
    m4_counts(conn, start, as_of, shop_ids, result)
    m3_counts(conn, start, as_of, shop_ids, result)
    _m2(conn, start, as_of, shop_ids, result)
    return result


def m1_counts(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], out: dict[int, Counts]
) -> None:
    t = mt.rollup_pickup
    picked = t.c.pickup_eday < d
    waiting = and_(t.c.pickup_eday >= d, t.c.closed.is_(False))
    query = (
        select(
            t.c.shop_id,
            t.c.rule,
            _sum(and_(picked, t.c.pickup_on_time.is_(True)), t.c.n),
            _sum(and_(picked, t.c.pickup_on_time.is_(False)), t.c.n)
            + _sum(and_(waiting, t.c.deadline_day < d), t.c.n),
            _sum(and_(waiting, t.c.deadline_day >= d), t.c.n),
        )
        .where(t.c.shop_id.in_(shop_ids), t.c.pay_day >= start, t.c.pay_day < d)
        .group_by(t.c.shop_id, t.c.rule)
    )
    for shop_id, rule, on_time, late, undecided in conn.execute(query):
        counts = {"on_time": int(on_time), "late": int(late), "undecided": int(undecided)}
        if rule == MAIN_RULE:
            out[shop_id].m1 = counts
        else:
            out[shop_id].extra_m1[rule] = counts


def m5_counts(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], out: dict[int, Counts]
) -> None:
    t = mt.rollup_promise
    picked = t.c.pickup_eday < d
    # the promised time is inside the window, so it has always passed by the evaluation time
    query = (
        select(
            t.c.shop_id,
            _sum(and_(picked, t.c.by_promise.is_(True)), t.c.n),
            _sum(and_(picked, t.c.by_promise.is_(False)), t.c.n)
            + _sum(and_(t.c.pickup_eday >= d, t.c.closed.is_(False)), t.c.n),
        )
        .where(t.c.shop_id.in_(shop_ids), t.c.promise_day >= start, t.c.promise_day < d)
        .group_by(t.c.shop_id)
    )
    for shop_id, on_time, late in conn.execute(query):
        out[shop_id].m5 = {"on_time": int(on_time), "late": int(late), "undecided": 0}


def m4_counts(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], out: dict[int, Counts]
) -> None:
    t = mt.rollup_feedback
    query = (
        select(t.c.shop_id, _sum(t.c.negative_eday < d, t.c.n), func.sum(t.c.n))
        .where(t.c.shop_id.in_(shop_ids), t.c.pay_day >= start, t.c.pay_day < d)
        .group_by(t.c.shop_id)
    )
    for shop_id, negative, paid in conn.execute(query):
        out[shop_id].m4 = {"negative_orders": int(negative), "paid_orders": int(paid)}


def m3_counts(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], out: dict[int, Counts]
) -> None:
    t = mt.rollup_freshness
    query = (
        select(t.c.shop_id, _sum(t.c.stale_day >= d, t.c.n), func.sum(t.c.n))
        .where(t.c.shop_id.in_(shop_ids), t.c.pickup_day >= start, t.c.pickup_day < d)
        .group_by(t.c.shop_id)
    )
    for shop_id, fresh, parcels in conn.execute(query):
        out[shop_id].m3 = {"fresh": int(fresh), "parcels": int(parcels)}


def _m2(conn: Connection, start: date, d: date, shop_ids: Sequence[int], out: dict[int, Counts]) -> None:
    t = mt.rollup_delivery
    query = (  # every shop's hour histogram in one pass over the window
        select(t.c.shop_id, t.c.bucket, func.sum(t.c.n), func.sum(t.c.sum_s))
        .where(
            t.c.shop_id.in_(shop_ids),
            t.c.delivered_day >= start,
            t.c.delivered_day < d,
            t.c.returned_eday >= d,
        )
        .group_by(t.c.shop_id, t.c.bucket)
    )
    for shop_id, bucket, n, seconds in conn.execute(query):
        if n:
            out[shop_id].histogram[int(bucket)] = (int(n), float(seconds))
    for shop_id in shop_ids:
        counts = out[shop_id]
        n, total, median, p90 = delivery_stats(conn, start, d, [shop_id], counts.histogram)
        counts.delivery_count, counts.delivery_seconds, counts.median_s, counts.p90_s = n, total, median, p90


Histogram = dict[int, tuple[int, float]]  # hour bucket -> (deliveries, their seconds)


def delivery_stats(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], histogram: Histogram
) -> tuple[int, float, float | None, float | None]:
    """Count, total seconds, exact median and p90 (linear interpolation, like percentile_cont).

    The hour histogram finds which bucket holds each rank; only that bucket's parcels are read to get
    the exact value, so a 30-day percentile touches a few thousand rows, not millions.
    """
    buckets = [(b, histogram[b][0]) for b in sorted(histogram)]
    n = sum(c for _, c in buckets)
    total = sum(seconds for _, seconds in histogram.values())
    if n == 0:
        return 0, 0.0, None, None
    cache: dict[int, float] = {}

    def kth(k: int) -> float:
        if k not in cache:
            for i, value in enumerate(_kth_durations(conn, start, d, shop_ids, buckets, k)):
                cache[k + i] = value
        return cache[k]

    return n, total, _percentile(kth, n, 0.5), _percentile(kth, n, 0.9)


def _percentile(kth: Any, n: int, q: float) -> float:
    position = q * (n - 1)
    low = int(position)
    value: float = kth(low)
    if position > low:
        value += (position - low) * (kth(low + 1) - value)
    return value


def _kth_durations(
    conn: Connection,
    start: date,
    d: date,
    shop_ids: Sequence[int],
    histogram: list[tuple[int, int]],
    k: int,
) -> list[float]:
    """The k-th smallest duration, and the next one when it is in the same bucket (interpolation needs
    both: one read instead of two)."""
    before = 0
    for bucket, count in histogram:
        if k < before + count:
            p = mt.metric_parcels
            query = (
                select(p.c.duration_s)
                .where(
                    p.c.shop_id.in_(shop_ids),
                    p.c.bucket == bucket,
                    p.c.delivered_day >= start,
                    p.c.delivered_day < d,
                    p.c.returned_eday >= d,
                )
                .order_by(p.c.duration_s)
                .offset(k - before)
                .limit(2)
            )
            return [float(value) for value in conn.execute(query).scalars()]
        before += count
    raise IndexError(k)


def delivery_scorecard(
    conn: Connection, start: date, d: date, shop_ids: Sequence[int], column: str
) -> dict[str, tuple[int, float]]:
    """Deliveries and their total seconds by carrier (or destination province): the carrier scorecard."""
    t = metadata.tables[f"rollup_delivery_{column}"]
    query = (
        select(t.c[column], func.sum(t.c.n), func.sum(t.c.sum_s))
        .where(
            t.c.shop_id.in_(shop_ids),
            t.c.delivered_day >= start,
            t.c.delivered_day < d,
            t.c.returned_eday >= d,
        )
        .group_by(t.c[column])
        .order_by(t.c[column])
    )
    return {str(group): (int(n), float(total)) for group, n, total in conn.execute(query) if n}
