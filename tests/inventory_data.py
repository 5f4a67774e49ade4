"""Shared set-up for inventory and review tests: a shop, stock rows, a small helper to read stock back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, select

from lanshou.inventory.counts import Count, apply_counts
from lanshou.schema import shops, stock, warehouses

NOW = datetime(2026, 11, 30, 12, 0, 0)


def make_shop(conn: Connection, name: str = "旗舰店", platform: str = "tmall", settings: str = "{}") -> int:
    conn.execute(shops.insert().values(platform=platform, name=name, settings=settings))
    return int(conn.execute(select(shops.c.id).where(shops.c.name == name)).scalar_one())


def put_stock(engine: Engine, rows: list[tuple[str, str, int]]) -> None:
    with engine.begin() as conn:
        apply_counts(
            conn, [Count(i, sku, site, qty, None) for i, (sku, site, qty) in enumerate(rows, 2)], NOW
        )


def stock_of(conn: Connection) -> dict[tuple[str, str], tuple[int, int]]:
    s, w = stock.c, warehouses.c
    query = select(s.sku, w.code, s.on_hand, s.reserved).join(warehouses, w.id == s.warehouse_id)
    return {(row.sku, row.code): (row.on_hand, row.reserved) for row in conn.execute(query)}
