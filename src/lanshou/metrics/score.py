"""M6 · the logistics experience score (物流体验分), always an estimate: each sub-metric's value mapped to 0–5
points by the pack's piecewise-linear table, then the weighted mean (METRICS.md M6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from lanshou.metrics.packs import SCORE_PARTS, RulePack

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
