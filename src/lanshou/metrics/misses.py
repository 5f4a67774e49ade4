"""Explaining misses (METRICS.md), DB side: load the window's facts, call the pure explainer, roll up.

The rate gain of a group is measured against the metric's own denominator as the metrics report states it
(`decided`: on_time + late for M1/M5, parcels for M3, paid orders for M4), over the selected shops.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine

from lanshou.metrics.explain import GroupBy, Miss, MissGroup, misses, rollup_misses
from lanshou.metrics.miss_candidates import ORDER_METRICS, miss_candidates, unsettled_orders
from lanshou.metrics.miss_store import stored_misses
from lanshou.metrics.report import metrics_report, window_facts
from lanshou.metrics.source import iter_facts
from lanshou.shops.model import only_shops, select_shops
from lanshou.shops.store import load_shops

METRICS = ("pay_to_pickup", "late_shipment", "tracking_freshness", "shipping_negative_feedback")
ALL = "all"


@dataclass(frozen=True)
class MissReport:
    as_of: date
    window_days: int
    metric: str  # one of METRICS, or "all"
    by: GroupBy
    misses: list[Miss]  # of `metric`, ordered by their group's impact, then order number
    groups: list[MissGroup]
    decided: int | None  # the metric's denominator; None for "all" (denominators differ)


def find_misses(
    engine: Engine,
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
    shop: str | None = None,
    shop_ids: Collection[int] | None = None,
    metric: str | None = None,
) -> list[Miss]:
    """Every miss of the report as of `as_of` (among `shop_ids` when given); with `metric`, every miss of
    that metric (misses of others may be missing: only the orders that can miss it are judged). Raises
    LookupError for an unknown shop."""
    with engine.connect() as conn:
        shops = only_shops(select_shops(load_shops(conn), shop), shop_ids)
        own_zones = all(timezone in (None, info.timezone) for info in shops.values())
        if own_zones and metric in ORDER_METRICS:
            # kept by the rollup upkeep; only the orders changed since its last run are judged from raw rows
            unsettled = unsettled_orders(conn, shops)
            kept, missing = stored_misses(conn, shops, metric, as_of, window_days, skip=unsettled)
            facts = list(iter_facts(conn, sorted(unsettled | missing), shops))
            return kept + misses(facts, list(shops.values()), as_of, window_days, timezone, metric)
        else:
            only = miss_candidates(conn, shops, metric) if own_zones else None  # the derived rows say who
            facts = list(window_facts(conn, shops, as_of, window_days, only))  # can miss: judge those
    return misses(facts, list(shops.values()), as_of, window_days, timezone, metric)


def decided(block: Mapping[str, Any], metric: str) -> int | None:
    """The denominator of a metric's rate, from its report block."""
    if metric in ("pay_to_pickup", "late_shipment"):
        return int(block["on_time"]) + int(block["late"])
    if metric == "tracking_freshness":
        return int(block["parcels"])
    if metric == "shipping_negative_feedback":
        return int(block["paid_orders"])
    return None


def miss_report(
    engine: Engine,
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
    shop: str | None = None,
    by: GroupBy = "reason",
    metric: str = "pay_to_pickup",
    report: Mapping[str, Any] | None = None,
    shop_ids: Collection[int] | None = None,
) -> MissReport:
    """Misses of `metric` ("all": every metric) grouped by `by`, largest group first. `report` is the
    metrics report of the same scope when the caller has it already (else it is computed)."""
    if metric != ALL and metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join((*METRICS, ALL))}")
    wanted = None if metric == ALL else metric
    found = find_misses(engine, as_of, window_days, timezone, shop, shop_ids, wanted)
    denominator = None
    if metric != ALL:
        report = report or metrics_report(engine, as_of, window_days, timezone, shop, shop_ids=shop_ids)
        denominator = decided(report["all"][metric], metric)
    groups = rollup_misses(found, by=by, decided=denominator, metric=wanted)
    chosen = [m for m in found if wanted is None or m.metric == wanted]
    return MissReport(as_of, window_days, metric, by, _by_impact(chosen, groups), groups, denominator)


def _by_impact(found: list[Miss], groups: list[MissGroup]) -> list[Miss]:
    rank: dict[str, int] = {}
    for position, group in enumerate(groups):
        for order_no in group.order_nos:
            rank.setdefault(order_no, position)
    return sorted(found, key=lambda m: (rank.get(m.order_no, len(groups)), m.metric, m.shop, m.order_no))


def miss_json(m: Miss) -> dict[str, Any]:
    return {
        "order_no": m.order_no,
        "platform": m.platform,
        "shop": m.shop,
        "metric": m.metric,
        "reason": m.reason,
        "carrier": m.carrier,
        "skus": list(m.skus),
        "warehouse": m.warehouse,
        "pay_hour": m.pay_hour,
        "tracking_no": m.tracking_no,
        "province": m.province,
        "detail": m.detail,
    }


def group_json(g: MissGroup) -> dict[str, Any]:
    return {"key": g.key, "count": g.count, "rate_gain": g.rate_gain, "order_nos": list(g.order_nos)}


def miss_report_json(result: MissReport, limit: int) -> dict[str, Any]:
    """The report as `lanshou metrics misses --json` (and the API) return it: the first `limit` misses."""
    return {
        "as_of": result.as_of.isoformat(),
        "window_days": result.window_days,
        "metric": result.metric,
        "by": result.by,
        "decided": result.decided,
        "total": len(result.misses),
        "misses": [miss_json(m) for m in result.misses[:limit]],
        "groups": [group_json(g) for g in result.groups],
    }
