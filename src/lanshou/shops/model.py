"""What every area knows of a shop: plain and immutable."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from lanshou.config import DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class ShopInfo:
    platform: str
    shop: str
    timezone: str = DEFAULT_TIMEZONE
    settings: dict[str, object] = field(default_factory=dict)  # per-shop rule-pack overrides, options


def select_shops(shops: dict[int, ShopInfo], wanted: str | None) -> dict[int, ShopInfo]:
    """--shop matches a shop name, or platform:name when two platforms share a name."""
    if wanted is None:
        return shops
    chosen = {i: s for i, s in shops.items() if wanted in (s.shop, f"{s.platform}:{s.shop}")}
    if not chosen:
        known = ", ".join(sorted(s.shop for s in shops.values())) or "none yet"
        raise LookupError(f"no shop named {wanted!r} (known: {known})")
    return chosen


def only_shops(shops: dict[int, ShopInfo], shop_ids: Collection[int] | None) -> dict[int, ShopInfo]:
    """The shops among `shop_ids` (a user's grants); all of them when None."""
    if shop_ids is None:
        return shops
    wanted = set(shop_ids)
    return {i: s for i, s in shops.items() if i in wanted}
