"""Whose stock a user may see and change (库存的店铺范围).

Stock is kept per stock SKU and warehouse and is shared by every shop that sells the SKU, so it belongs to
no single shop. The rule, the same for the stock list, its low-stock filter and every adjustment, on the
pages and the API:

- A shop *sells* a stock SKU when the shop's own SKU mapping names it (`lanshou stock map … --shop`), or
  when one of the shop's order lines needs it — through the shop's mapping, else the every-shop mapping,
  else the line's SKU itself: exactly what reserving that line would take.
- A user sees a SKU's stock, in every warehouse, and may adjust it, when one of their shops (narrowed by
  `?shop=` to the ones chosen) sells it.
- A user holding every shop (the every-shop grant of owners made without `--shops`), not narrowed by
  `?shop=`, sees all stock, including SKUs no shop sells yet (counted before their first order). Nobody
  else sees those: a user granted a list of shops is not granted the shops to come.
- Outside that scope a SKU does not exist: it is not listed, and adjusting it answers 404 — as another
  shop's order does — never 403, which would say it is there.

The CLI is the administrator's face: it sees and changes all stock, as its other commands see every shop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from lanshou.inventory.mapping import load_map
from lanshou.inventory.tables import sku_mappings
from lanshou.orders.queries import line_skus


class SkuNotFound(LookupError):
    """A stock SKU outside the caller's scope (or unknown): the faces answer 404."""


@dataclass(frozen=True, slots=True)
class StockScope:
    skus: frozenset[str] | None  # the stock SKUs the caller may see; None: every one

    def covers(self, sku: str) -> bool:
        return self.skus is None or sku in self.skus

    def check(self, sku: str) -> None:
        """SkuNotFound unless the caller may see this SKU."""
        if not self.covers(sku):
            raise SkuNotFound(f"SKU 不存在 no such stock SKU: {sku!r}")


EVERY_SKU = StockScope(None)


def stock_scope(conn: Connection, shop_ids: Sequence[int], every_shop: bool) -> StockScope:
    """The scope of a caller: everything with `every_shop`, else the SKUs `shop_ids` sell."""
    return EVERY_SKU if every_shop else StockScope(frozenset(skus_sold_by(conn, shop_ids)))


def skus_sold_by(conn: Connection, shop_ids: Sequence[int]) -> set[str]:
    """The stock SKUs these shops sell: their own mappings' SKUs, and what their order lines need."""
    if not shop_ids:
        return set()
    t = sku_mappings.c
    sold = set(conn.execute(select(t.stock_sku).where(t.shop_id.in_(list(shop_ids)))).scalars())
    skus = load_map(conn)
    sold.update(stock for shop, sku in line_skus(conn, shop_ids) for stock, _ in skus.components(shop, sku))
    return sold
