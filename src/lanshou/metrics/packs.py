"""Platform rule packs (METRICS.md): every hour, list, weight and table the metrics use, as data.

A pack is `pack.toml` in the marketplace's package (`lanshou/platforms/<platform>/`), grouped in
readable sections; loading flattens the sections into one `RulePack`. A shop's `ShopInfo.settings`
overrides any field by its flat name (e.g. `"limit_hours": 36`, `"carrier_cutoff": "15:30"`);
`score_weights` / `score_tables` overrides merge per sub-metric. Settings keys that are not pack fields
(e.g. `warehouse`) are ignored: settings also hold other shop options.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, time
from functools import cache, cached_property
from typing import Any

from lanshou.platforms.registry import resource_text
from lanshou.shops.model import ShopInfo

SCORE_PARTS = ("pay_to_pickup", "delivery_hours", "tracking_freshness", "shipping_negative_feedback")

Table = tuple[tuple[float, float], ...]  # (value, points) knots, sorted by value


@dataclass(frozen=True)
class RulePack:
    platform: str
    title: str
    limit_hours: float
    long_limit_hours: float
    long_limit_categories: frozenset[str]  # as listed
    default_promise_hours: float
    presale_slow_grace_hours: float
    shipping_tags: frozenset[str]
    slow_tag: str
    freshness_gap_hours: float
    carrier_cutoff: time
    holidays: frozenset[date]
    score_weights: Mapping[str, float]
    score_tables: Mapping[str, Table]
    # extra M1-style blocks with their own limit, e.g. Taobao's {"pay_to_pickup_48h": 48}
    extra_pickup_limits: Mapping[str, float]
    # spellings met in the data -> the category they mean (Douyin's seed text reads 手奢侈品 for 手表奢侈品)
    category_aliases: Mapping[str, str]
    # parcel alerts (物流预警, lanshou.sla.alerts; "stalled" uses freshness_gap_hours)
    pickup_warning_hours: float  # no scan yet: warn this long before the pickup deadline
    lost_after_hours: float  # silent this long after the last event: probably lost (疑似遗失)
    locker_wait_hours: float  # waiting at a locker or station longer than this
    late_grace_hours: float  # late once past the lane's p90 journey by more than this

    @cached_property  # frozen dataclasses still have __dict__, which cached_property writes directly
    def long_categories(self) -> frozenset[str]:
        """The long-limit list with every alias of a listed category (kept apart so that a shop
        overriding the list keeps the aliases)."""
        listed = self.long_limit_categories
        return listed | {alias for alias, target in self.category_aliases.items() if target in listed}


class PackError(ValueError):
    pass


def load_pack(platform: str) -> RulePack:
    """The platform's pack as shipped (no shop overrides)."""
    return _shipped(platform.strip().lower())


def pack_for(shop: ShopInfo) -> RulePack:
    """The shop's pack: the platform pack with the shop's settings merged on top."""
    return apply_overrides(load_pack(shop.platform), shop.settings)


def apply_overrides(pack: RulePack, settings: Mapping[str, object]) -> RulePack:
    known = {f.name for f in fields(RulePack)} - {"platform"}
    wanted = {k: v for k, v in settings.items() if k in known}
    if not wanted:
        return pack
    raw = {k: _merge_maps(getattr(pack, k), v) if k.startswith("score_") else v for k, v in wanted.items()}
    try:
        return replace(pack, **{k: _convert(k, v) for k, v in raw.items()})
    except (TypeError, ValueError) as exc:
        raise PackError(f"bad rule-pack override for {pack.platform}: {exc}") from None


@cache
def _shipped(platform: str) -> RulePack:
    try:
        text = resource_text(platform, "pack.toml")
    except LookupError as exc:
        raise PackError(f"no rule pack: {exc}") from None
    return _from_toml(tomllib.loads(text))


def _from_toml(doc: dict[str, Any]) -> RulePack:
    flat: dict[str, Any] = {"platform": doc["platform"], "title": doc.get("title", doc["platform"])}
    for section in ("pickup", "promise", "feedback", "freshness", "calendar", "alerts"):
        flat.update(doc.get(section, {}))
    score = doc.get("score", {})
    flat["score_weights"], flat["score_tables"] = score.get("weights", {}), score.get("tables", {})
    flat.setdefault("category_aliases", {})
    return RulePack(**{k: _convert(k, v) for k, v in flat.items()})


def _merge_maps(current: Mapping[str, Any], new: object) -> dict[str, Any]:
    if not isinstance(new, Mapping):
        raise PackError(f"expected a mapping, got {new!r}")
    return {**current, **new}


def _convert(name: str, value: Any) -> Any:
    """Coerce TOML/JSON values into the field's type, so a JSON shop setting works like the TOML."""
    if name in ("long_limit_categories", "shipping_tags"):
        return frozenset(str(v) for v in value)
    if name == "carrier_cutoff":
        return value if isinstance(value, time) else time.fromisoformat(str(value))
    if name == "holidays":
        return frozenset(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in value)
    if name == "category_aliases":
        return {str(k): str(v) for k, v in value.items()}
    if name == "score_weights" or name == "extra_pickup_limits":
        return {str(k): float(v) for k, v in value.items()}
    if name == "score_tables":
        return {str(k): _table(v) for k, v in value.items()}
    if name.endswith("_hours"):
        return float(value)
    return value


def _table(knots: Any) -> Table:
    table = tuple(sorted((float(v), float(p)) for v, p in knots))
    if not table:
        raise PackError("a score table needs at least one [value, points] knot")
    return table
