"""Report blocks (METRICS.md contract) from counts, whichever path produced the counts."""

from __future__ import annotations

from typing import Any

from lanshou.db.rollup_report import Counts


def rate(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def blocks_from_counts(c: Counts) -> dict[str, Any]:
    m1, m5, m4, m3 = c.m1, c.m5, c.m4, c.m3
    n = c.delivery_count
    return {
        "pay_to_pickup": {**m1, "rate": rate(m1["on_time"], m1["on_time"] + m1["late"])},
        "delivery_hours": {
            "count": n,
            "mean": None if n == 0 else c.delivery_seconds / n / 3600,
            "median": None if c.median_s is None else c.median_s / 3600,
            "p90": None if c.p90_s is None else c.p90_s / 3600,
        },
        "tracking_freshness": {**m3, "rate": rate(m3["fresh"], m3["parcels"])},
        "shipping_negative_feedback": {**m4, "rate": rate(m4["negative_orders"], m4["paid_orders"])},
        "late_shipment": {**m5, "rate": rate(m5["on_time"], m5["on_time"] + m5["late"])},
    }
