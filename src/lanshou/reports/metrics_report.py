"""The metrics report (METRICS.md contract): rollups by default, raw recompute where rollups cannot answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine

from lanshou.config import DEFAULT_TIMEZONE
from lanshou.db.metrics_source import load_facts, load_shops, window_keys
from lanshou.db.rollup_report import Counts, delivery_stats, window_counts
from lanshou.db.rollups import refresh
from lanshou.metrics.derive import DeriveRules
from lanshou.metrics.facts import ShopInfo
from lanshou.platforms.values import zone
from lanshou.reports import raw_counts
from lanshou.reports.blocks import blocks_from_counts

Source = Literal["auto", "rollups", "raw"]
ScoreFn = Callable[[Sequence[ShopInfo], dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Rules:
    """How a shop's rule pack is applied: derivation values and the M6 score."""

    derive: Callable[[ShopInfo], DeriveRules]
    score: ScoreFn


def metrics_report(
    engine: Engine,
    rules: Rules,
    as_of: date,
    window_days: int = 30,
    timezone: str | None = None,
    shop: str | None = None,
    source: Source = "auto",
) -> dict[str, Any]:
    refresh(engine, rules.derive)
    with engine.connect() as conn:
        shops = select_shops(load_shops(conn), shop)
        own_zones = {info.timezone for info in shops.values()}
        use_rollups = source == "rollups" or (
            source == "auto" and (timezone is None or own_zones <= {timezone})
        )
        if use_rollups:
            per_shop, total = _from_rollups(conn, as_of, window_days, list(shops))
        else:
            per_shop, total = _from_raw(conn, rules, shops, as_of, window_days, timezone)
    entries = []
    for shop_id, info in shops.items():
        blocks = blocks_from_counts(per_shop[shop_id])
        blocks["experience_score"] = rules.score([info], blocks)
        entries.append({"platform": info.platform, "shop": info.shop, "timezone": info.timezone, **blocks})
    everything = blocks_from_counts(total)
    everything["experience_score"] = rules.score(list(shops.values()), everything)
    return {
        "as_of": as_of.isoformat(),
        "window_days": window_days,
        "timezone": timezone or _common_zone(own_zones),
        "source": "rollups" if use_rollups else "raw",
        "shops": entries,
        "all": everything,
    }


def select_shops(shops: dict[int, ShopInfo], wanted: str | None) -> dict[int, ShopInfo]:
    """--shop matches a shop name, or platform:name when two platforms share a name."""
    if wanted is None:
        return shops
    chosen = {i: s for i, s in shops.items() if wanted in (s.shop, f"{s.platform}:{s.shop}")}
    if not chosen:
        known = ", ".join(sorted(s.shop for s in shops.values())) or "none yet"
        raise LookupError(f"no shop named {wanted!r} (known: {known})")
    return chosen


def _common_zone(zones: set[str]) -> str:
    return next(iter(zones)) if len(zones) == 1 else DEFAULT_TIMEZONE if not zones else "per shop"


def _from_rollups(
    conn: Connection, as_of: date, window_days: int, shop_ids: list[int]
) -> tuple[dict[int, Counts], Counts]:
    per_shop = window_counts(conn, as_of, window_days, shop_ids)
    total = merge_counts(per_shop.values())
    if shop_ids:
        n, seconds, median, p90 = delivery_stats(conn, as_of - timedelta(days=window_days), as_of, shop_ids)
        total.delivery_count, total.delivery_seconds, total.median_s, total.p90_s = n, seconds, median, p90
    return per_shop, total


def _from_raw(
    conn: Connection,
    rules: Rules,
    shops: dict[int, ShopInfo],
    as_of: date,
    window_days: int,
    timezone: str | None,
) -> tuple[dict[int, Counts], Counts]:
    per_shop = {shop_id: Counts() for shop_id in shops}
    durations: dict[int, list[float]] = {shop_id: [] for shop_id in shops}
    # a generous UTC range around the local window: every timezone is within ±14 h of UTC
    start = datetime.combine(as_of - timedelta(days=window_days + 1), time())
    end = datetime.combine(as_of + timedelta(days=1), time())
    promise = max((rules.derive(info).default_promise_hours for info in shops.values()), default=0.0)
    keys = [k for k in window_keys(conn, start, end, timedelta(hours=promise)) if k[0] in shops]
    for start_at in range(0, len(keys), 2000):
        for (shop_id, _), fact in load_facts(conn, keys[start_at : start_at + 2000], shops):
            info = shops[shop_id]
            tz = zone(timezone or info.timezone)
            raw_counts.add_order(
                per_shop[shop_id], durations[shop_id], fact, rules.derive(info), tz, as_of, window_days
            )
    everything = [d for values in durations.values() for d in values]
    for shop_id, counts in per_shop.items():
        raw_counts.finish(counts, durations[shop_id])
    total = merge_counts(per_shop.values())
    return per_shop, raw_counts.finish(total, everything)


def merge_counts(parts: Any) -> Counts:
    total = Counts()
    for part in parts:
        for block in ("m1", "m5", "m4", "m3"):
            mine, theirs = getattr(total, block), getattr(part, block)
            for key in mine:
                mine[key] += theirs[key]
        total.delivery_count += part.delivery_count
        total.delivery_seconds += part.delivery_seconds
    return total
