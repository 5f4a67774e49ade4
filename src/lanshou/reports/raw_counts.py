"""The same counts as the rollups, recomputed from raw rows: the full-scan path and the rollups' referee.

Used when a report asks for a timezone other than a shop's own (rollup days are the shop's local days),
by the benchmark as the baseline, and by the property tests that prove rollups == full recompute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, tzinfo
from typing import Any

from lanshou.db.rollup_report import Counts
from lanshou.metrics.derive import DeriveRules, derive_order, derive_parcel
from lanshou.metrics.facts import OrderFact


def add_order(
    counts: Counts,
    durations: list[float],
    fact: OrderFact,
    rules: DeriveRules,
    tz: tzinfo,
    as_of: date,
    window_days: int,
) -> None:
    start, d = as_of - timedelta(days=window_days), as_of
    row = derive_order(fact, rules, tz)
    if row["pay_day"] is not None:
        _order_counts(counts, row, start, d)
    for parcel in fact.parcels:
        _parcel_counts(counts, durations, derive_parcel(parcel, rules, tz), start, d)


def _order_counts(c: Counts, row: dict[str, Any], start: date, d: date) -> None:
    picked = row["pickup_eday"] < d
    if start <= row["pay_day"] < d:
        c.m4["paid_orders"] += 1
        c.m4["negative_orders"] += row["negative_eday"] < d
        if row["limit_hours"] is not None and (picked or not row["closed"]):
            if picked:
                c.m1["on_time" if row["pickup_on_time"] else "late"] += 1
            else:
                c.m1["late" if row["deadline_day"] < d else "undecided"] += 1
    if row["promise_day"] is not None and start <= row["promise_day"] < d and (picked or not row["closed"]):
        c.m5["on_time" if picked and row["by_promise"] else "late"] += 1


def _parcel_counts(c: Counts, durations: list[float], row: dict[str, Any], start: date, d: date) -> None:
    if row["pickup_day"] is not None and start <= row["pickup_day"] < d:
        c.m3["parcels"] += 1
        c.m3["fresh"] += row["stale_day"] >= d
    if row["delivered_day"] is not None and start <= row["delivered_day"] < d and row["returned_eday"] >= d:
        c.delivery_count += 1
        c.delivery_seconds += row["duration_s"]
        durations.append(row["duration_s"])


def finish(counts: Counts, durations: list[float]) -> Counts:
    durations.sort()
    counts.median_s = percentile(durations, 0.5)
    counts.p90_s = percentile(durations, 0.9)
    return counts


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear interpolation between ranks, as PostgreSQL's percentile_cont."""
    if not sorted_values:
        return None
    position = q * (len(sorted_values) - 1)
    low = int(position)
    value = sorted_values[low]
    if position > low:
        value += (position - low) * (sorted_values[low + 1] - value)
    return value


def counts_from_facts(
    facts: Iterable[OrderFact], rules: DeriveRules, tz: tzinfo, as_of: date, window_days: int
) -> Counts:
    counts, durations = Counts(), []  # type: ignore[var-annotated]
    for fact in facts:
        add_order(counts, durations, fact, rules, tz, as_of, window_days)
    return finish(counts, durations)
