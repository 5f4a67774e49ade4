"""What the misses page shows, and only that: each group's count and rate gain, the first misses by impact,
how many misses there are and the metric's denominator.

`miss_report` (the CLI's and the API's JSON) builds every miss of the window (12.5k for M1 on the 200k
demo) and the whole metrics report for one denominator; the page lists 200. Here the kept rows are grouped
as they are read, only the misses shown are built, and the denominator comes from the metric's own rollup.
The result equals the corresponding parts of `miss_report` (tests/test_miss_page.py, both databases).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from lanshou.db.engine import read_snapshot
from lanshou.metrics import rollup_sql
from lanshou.metrics.blocks import blocks_from_counts
from lanshou.metrics.compute import rate
from lanshou.metrics.explain import GroupBy, Miss, group_keys, misses
from lanshou.metrics.miss_candidates import ORDER_METRICS, unsettled_orders
from lanshou.metrics.miss_store import (
    kept_rows,
    row_miss,
    row_reason,
    row_skus,
    stored_first,
    stored_group_counts,
)
from lanshou.metrics.misses import decided, miss_report
from lanshou.metrics.report import merge_counts
from lanshou.metrics.source import iter_facts
from lanshou.shops.model import ShopInfo, only_shops, select_shops
from lanshou.shops.store import load_shops
from lanshou.tracking.inbox import catch_up

ROW_GROUPS = ("reason", "carrier", "sku", "province")  # read off a kept row without making its Miss
SQL_GROUPS = ("reason", "carrier", "province")  # counted in SQL: one key per miss
COUNTS = {
    "pay_to_pickup": rollup_sql.m1_counts,
    "late_shipment": rollup_sql.m5_counts,
    "shipping_negative_feedback": rollup_sql.m4_counts,
    "tracking_freshness": rollup_sql.m3_counts,
}


@dataclass(frozen=True)
class GroupCount:
    key: str
    count: int
    rate_gain: float | None


@dataclass(frozen=True)
class MissPage:
    groups: list[GroupCount]  # largest first, then by key (as `rollup_misses`)
    misses: list[Miss]  # the first `shown` of `miss_report`'s misses (by their group's impact)
    total: int  # how many misses
    decided: int | None  # the metric's denominator


class _Entry(NamedTuple):  # a tuple: made once per miss of the window (12.5k), cheaper than a dataclass
    keys: tuple[str, ...]
    shop: str
    order_no: str
    source: Any  # a kept row, or the Miss the explainer made


def miss_page(
    engine: Engine,
    as_of: date,
    window_days: int,
    by: GroupBy,
    metric: str,
    shop_ids: Collection[int] | None = None,
    shown: int = 200,
) -> MissPage:
    """The page's part of `miss_report(engine, as_of, window_days, None, None, by, metric, …)`."""
    if metric not in ORDER_METRICS:  # M3 is judged from raw parcels in any case
        full = miss_report(engine, as_of, window_days, None, None, by, metric, shop_ids=shop_ids)
        groups = [GroupCount(g.key, g.count, g.rate_gain) for g in full.groups]
        return MissPage(groups, full.misses[:shown], len(full.misses), full.decided)
    catch_up(engine)  # as the metrics report does: pushes waiting in the tracking inbox count
    with read_snapshot(engine) as conn:
        shops = only_shops(select_shops(load_shops(conn), None), shop_ids)
        denominator = metric_decided(conn, shops, as_of, window_days, metric)
        counted = _counted_in_sql(conn, shops, as_of, window_days, by, metric, denominator, shown)
        if counted is not None:
            return counted
        entries = _entries(conn, shops, as_of, window_days, by, metric)
    counts = Counter(key for entry in entries for key in entry.keys)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    groups = [GroupCount(key, n, None if denominator is None else rate(n, denominator)) for key, n in ranked]
    position = {group.key: index for index, group in enumerate(groups)}
    rank: dict[str, int] = {}  # an order number's first group, whichever shop (as `misses._by_impact`)
    for entry in entries:
        mine = min(map(position.__getitem__, entry.keys))
        rank[entry.order_no] = min(mine, rank.get(entry.order_no, mine))
    first = heapq.nsmallest(  # stable, as the full report's sort
        shown, entries, key=lambda e: (rank[e.order_no], e.shop, e.order_no)
    )
    return MissPage(groups, [_made(entry, shops, metric) for entry in first], len(entries), denominator)


def _counted_in_sql(
    conn: Connection,
    shops: dict[int, ShopInfo],
    as_of: date,
    window_days: int,
    by: GroupBy,
    metric: str,
    denominator: int | None,
    shown: int,
) -> MissPage | None:
    """The page from group counts and the first rows, both in SQL, when every order of the window is
    settled and kept (the usual case: the upkeep follows every write); None when some must be judged from
    raw rows, or the grouping needs each miss (SKUs: one order counts in each of its SKU groups)."""
    if by not in SQL_GROUPS or unsettled_orders(conn, shops):
        return None
    counts, missing = stored_group_counts(conn, shops, metric, as_of, window_days, by)
    if missing:
        return None
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    groups = [GroupCount(key, n, None if denominator is None else rate(n, denominator)) for key, n in ranked]
    ranks = {group.key: index for index, group in enumerate(groups)}
    rows = stored_first(conn, shops, metric, as_of, window_days, by, ranks, shown) if groups else []
    first = [row_miss(row, shops[row.shop_id], metric) for row in rows]
    return MissPage(groups, first, sum(counts.values()), denominator)


def _entries(
    conn: Connection, shops: dict[int, ShopInfo], as_of: date, window_days: int, by: GroupBy, metric: str
) -> list[_Entry]:
    """Every miss of the window, as find_misses finds them (kept rows, then the orders judged from raw
    rows), with its group keys; a kept row's Miss is made only if it is shown."""
    unsettled = unsettled_orders(conn, shops)
    entries: list[_Entry] = []
    rows, missing = kept_rows(conn, shops, metric, as_of, window_days, skip=unsettled)
    for row in rows:
        shop = shops[row.shop_id]
        keys = _row_keys(row, by, metric) if by in ROW_GROUPS else group_keys(row_miss(row, shop, metric), by)
        entries.append(_Entry(keys, shop.shop, row.order_no, row))
    facts = list(iter_facts(conn, sorted(unsettled | missing), shops))
    for judged in misses(facts, list(shops.values()), as_of, window_days, None, metric):
        if judged.metric == metric:
            entries.append(_Entry(group_keys(judged, by), judged.shop, judged.order_no, judged))
    return entries


def _row_keys(row: Any, by: GroupBy, metric: str) -> tuple[str, ...]:
    """`group_keys` of the row's Miss, for the ROW_GROUPS."""
    if by == "reason":
        return (row_reason(row, metric)[0],)
    if by == "sku":
        return row_skus(row) or ("",)
    return (str(getattr(row, by)),)


def _made(entry: _Entry, shops: Mapping[int, ShopInfo], metric: str) -> Miss:
    if isinstance(entry.source, Miss):
        return entry.source
    return row_miss(entry.source, shops[entry.source.shop_id], metric)


def metric_decided(
    conn: Connection, shops: Mapping[int, ShopInfo], as_of: date, window_days: int, metric: str
) -> int | None:
    """The metric's denominator over the shops, as the metrics report's "all" block states it, from the
    metric's own rollup (not the whole report)."""
    ids = list(shops)
    per_shop = {shop_id: rollup_sql.Counts() for shop_id in ids}
    if ids:
        COUNTS[metric](conn, as_of - timedelta(days=window_days), as_of, ids, per_shop)
    return decided(blocks_from_counts(merge_counts(per_shop.values()))[metric], metric)
