"""The metrics report (METRICS.md contract): from the rollups, or from raw rows where they cannot answer.

Rollup days are each shop's local days, so a report in the shops' own timezones (the default) reads only
the rollups; `--timezone` with another zone recomputes from the raw rows with the pure engine
(lanshou.metrics.compute), which is also the referee the property tests hold the rollups to.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.engine import read_snapshot
from lanshou.metrics.blocks import blocks_from_counts, scorecard_block
from lanshou.metrics.compute import compute_report
from lanshou.metrics.facts import OrderFact
from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollup_sql import Counts, delivery_scorecard, delivery_stats, window_counts
from lanshou.metrics.score import combined_score, experience_score
from lanshou.metrics.source import iter_facts, window_keys
from lanshou.orders.keys import OrderKey
from lanshou.shops.model import ShopInfo, only_shops, select_shops
from lanshou.shops.store import load_shops
from lanshou.tracking.inbox import catch_up

Source = Literal["auto", "rollups", "raw"]
# M2 "also by carrier and by destination province", over all shops: parcels and mean hours (the
# percentiles of every group would need every group's exact durations, which only the raw path reads)
SCORECARD = ("carrier", "province")


def metrics_report(
    engine: Engine,
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
    shop: str | None = None,
    source: Source = "auto",
    shop_ids: Collection[int] | None = None,
) -> dict[str, Any]:
    """The report over the shops `shop` names (all when None), among `shop_ids` when given (the API passes
    the caller's grants). Raises LookupError for an unknown shop. Carrier pushes waiting in the tracking
    inbox are ingested first (their events count)."""
    catch_up(engine)
    with read_snapshot(engine) as conn:  # every query sees the same committed batches of a refresh
        shops = only_shops(select_shops(load_shops(conn), shop), shop_ids)
        own_zones = {info.timezone for info in shops.values()}
        answerable = timezone is None or own_zones <= {timezone}
        if source == "rollups" and not answerable:
            raise ValueError(
                f"the rollups are kept in each shop's own timezone, not {timezone}: use raw or auto"
            )
        rollups = source == "rollups" or (source == "auto" and answerable)
        if rollups:
            report = _from_rollups(conn, shops, as_of, window_days, timezone)
        else:
            report = _from_raw(conn, shops, as_of, window_days, timezone)
    report["source"] = "rollups" if rollups else "raw"
    return report


def _from_rollups(
    conn: Connection, shops: dict[int, ShopInfo], as_of: date, window_days: int, timezone: str | None
) -> dict[str, Any]:
    ids = list(shops)
    per_shop = window_counts(conn, as_of, window_days, ids)
    entries, scored = [], []
    for shop_id, info in shops.items():
        pack = pack_for(info)
        for name in pack.extra_pickup_limits:  # the pack's extra blocks show even with nothing counted
            per_shop[shop_id].extra_m1.setdefault(name, {"on_time": 0, "late": 0, "undecided": 0})
        blocks = blocks_from_counts(per_shop[shop_id])
        blocks["experience_score"] = experience_score(blocks, pack)
        scored.append((pack, blocks))
        entries.append({"platform": info.platform, "shop": info.shop, "timezone": info.timezone, **blocks})
    total = merge_counts(per_shop.values())
    start = as_of - timedelta(days=window_days)
    if ids:
        n, seconds, median, p90 = delivery_stats(conn, start, as_of, ids, total.histogram)
        total.delivery_count, total.delivery_seconds, total.median_s, total.p90_s = n, seconds, median, p90
    everything = blocks_from_counts(total)
    for column in SCORECARD:
        groups = delivery_scorecard(conn, start, as_of, ids, column) if ids else {}
        everything[f"delivery_hours_by_{column}"] = {g: scorecard_block(*v) for g, v in groups.items()}
    everything["experience_score"] = combined_score(scored, everything)
    return _envelope(as_of, window_days, timezone, shops, entries, everything)


def _from_raw(
    conn: Connection, shops: dict[int, ShopInfo], as_of: date, window_days: int, timezone: str | None
) -> dict[str, Any]:
    report = compute_report(
        window_facts(conn, shops, as_of, window_days), list(shops.values()), as_of, window_days, timezone
    )
    for entry in report["shops"]:  # the scorecard is reported over all shops only, as from the rollups
        for column in SCORECARD:
            entry.pop(f"delivery_hours_by_{column}", None)
    for column in SCORECARD:
        groups = report["all"][f"delivery_hours_by_{column}"]
        report["all"][f"delivery_hours_by_{column}"] = {g: _count_mean(b) for g, b in groups.items()}
    return report


def _count_mean(block: dict[str, Any]) -> dict[str, Any]:
    return {"count": block["count"], "mean": block["mean"]}


def window_facts(
    conn: Connection,
    shops: dict[int, ShopInfo],
    as_of: date,
    window_days: int,
    only: Collection[OrderKey] | None = None,
) -> Iterable[OrderFact]:
    """The facts of every order a report as of `as_of` can touch (among `only` when given), read lazily
    from the raw tables."""
    # a generous UTC range around the local window: every timezone is within ±14 h of UTC
    start = datetime.combine(as_of - timedelta(days=window_days + 1), time())
    end = datetime.combine(as_of + timedelta(days=1), time())
    promise = max((pack_for(info).default_promise_hours for info in shops.values()), default=0.0)
    keys = [k for k in window_keys(conn, start, end, timedelta(hours=promise)) if k[0] in shops]
    if only is not None:
        keys = [k for k in keys if k in only]
    return iter_facts(conn, keys, shops)


def _envelope(
    as_of: date,
    window_days: int,
    timezone: str | None,
    shops: dict[int, ShopInfo],
    entries: list[dict[str, Any]],
    everything: dict[str, Any],
) -> dict[str, Any]:
    zones = {info.timezone for info in shops.values()}
    return {
        "as_of": as_of.isoformat(),
        "window_days": window_days,
        "timezone": timezone or (next(iter(zones)) if len(zones) == 1 else DEFAULT_TIMEZONE),
        "shops": entries,
        "all": everything,
    }


def merge_counts(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for part in parts:
        for block in ("m1", "m5", "m4", "m3"):
            mine, theirs = getattr(total, block), getattr(part, block)
            for key in mine:
                mine[key] += theirs[key]
        for name, counts in part.extra_m1.items():
            mine = total.extra_m1.setdefault(name, {"on_time": 0, "late": 0, "undecided": 0})
            for key in mine:
                mine[key] += counts[key]
        total.delivery_count += part.delivery_count
        total.delivery_seconds += part.delivery_seconds
        for bucket, (n, seconds) in part.histogram.items():
            had_n, had_seconds = total.histogram.get(bucket, (0, 0.0))
            total.histogram[bucket] = (had_n + n, had_seconds + seconds)
    return total
