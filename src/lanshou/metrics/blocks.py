"""Report blocks (METRICS.md contract) from rollup counts, shaped exactly as the pure engine shapes them."""

from __future__ import annotations

from typing import Any

from lanshou.metrics.compute import outcome_block, rate
from lanshou.metrics.rollup_sql import Counts


def delivery_block(count: int, seconds: float, median_s: float | None, p90_s: float | None) -> dict[str, Any]:
    return {
        "count": count,
        "mean": None if count == 0 else seconds / count / 3600,
        "median": None if median_s is None else median_s / 3600,
        "p90": None if p90_s is None else p90_s / 3600,
    }


def blocks_from_counts(c: Counts) -> dict[str, Any]:
    blocks: dict[str, Any] = {
        "pay_to_pickup": outcome_block(c.m1),
        "delivery_hours": delivery_block(c.delivery_count, c.delivery_seconds, c.median_s, c.p90_s),
        "tracking_freshness": {**c.m3, "rate": rate(c.m3["fresh"], c.m3["parcels"])},
        "shipping_negative_feedback": {**c.m4, "rate": rate(c.m4["negative_orders"], c.m4["paid_orders"])},
        "late_shipment": outcome_block(c.m5),
    }
    blocks.update({name: outcome_block(counts) for name, counts in sorted(c.extra_m1.items())})
    return blocks


def scorecard_block(count: int, seconds: float) -> dict[str, Any]:
    return {"count": count, "mean": None if count == 0 else seconds / count / 3600}
