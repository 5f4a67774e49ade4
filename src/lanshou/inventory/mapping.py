"""Platform SKUs -> stock SKUs: an order line's SKU is the stock SKU unless mapped; a bundle maps to several.

A mapping belongs to one shop, or to every shop (shop id 0): one physical SKU sold in several shops under
different platform SKUs, or the same code everywhere. A shop's own mapping wins over the all-shops one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from lanshou.db.bulk import upsert
from lanshou.inventory.tables import sku_mappings

ALL_SHOPS = 0
Components = tuple[tuple[str, int], ...]  # (stock SKU, units per unit sold)


@dataclass(frozen=True, slots=True)
class SkuMap:
    by_shop: Mapping[tuple[int, str], Components]

    def components(self, shop_id: int, platform_sku: str) -> Components:
        found = self.by_shop.get((shop_id, platform_sku)) or self.by_shop.get((ALL_SHOPS, platform_sku))
        return found or ((platform_sku, 1),)

    def needs(self, shop_id: int, lines: Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
        """Stock SKUs and quantities for an order's (platform SKU, quantity) lines, summed per stock SKU and
        sorted by SKU (every writer touches stock rows in the same order)."""
        total: dict[str, int] = defaultdict(int)
        for sku, quantity in lines:
            for stock_sku, units in self.components(shop_id, sku):
                total[stock_sku] += units * quantity
        return tuple(sorted(total.items()))


def load_map(conn: Connection) -> SkuMap:
    t = sku_mappings.c
    grouped: dict[tuple[int, str], list[tuple[str, int]]] = defaultdict(list)
    for row in conn.execute(select(t.shop_id, t.platform_sku, t.stock_sku, t.quantity).order_by(t.id)):
        grouped[(row.shop_id, row.platform_sku)].append((row.stock_sku, row.quantity))
    return SkuMap({key: tuple(value) for key, value in grouped.items()})


def save_mappings(
    conn: Connection, shop_id: int, platform_sku: str, parts: Sequence[tuple[str, int]]
) -> None:
    """Map `platform_sku` (in one shop, or ALL_SHOPS) to stock SKUs; replaces that SKU's earlier mapping."""
    if not parts or any(quantity <= 0 for _, quantity in parts):
        raise ValueError("a mapping needs at least one stock SKU with a positive quantity")
    t = sku_mappings.c
    conn.execute(sku_mappings.delete().where(t.shop_id == shop_id, t.platform_sku == platform_sku))
    upsert(
        conn,
        sku_mappings,
        [{"shop_id": shop_id, "platform_sku": platform_sku, "stock_sku": s, "quantity": q} for s, q in parts],
        ("shop_id", "platform_sku", "stock_sku"),
        ("quantity",),
    )
