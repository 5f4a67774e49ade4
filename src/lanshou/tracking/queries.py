"""What other areas may ask of tracking, and every parcel → order look-up tracking itself makes.

Parcels are linked to orders here only (a parcel will soon carry several orders through a link table):
callers get order keys and lane facts, never the link itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import Connection, select

from lanshou.orders.keys import CHUNK, OrderKey
from lanshou.orders.tables import orders
from lanshou.shops.tables import shops
from lanshou.tracking.provinces import province_of
from lanshou.tracking.tables import parcels


def orders_of(conn: Connection, tracking_numbers: Iterable[str]) -> list[OrderKey]:
    """The orders that carry these tracking numbers (a merged parcel carries several)."""
    numbers = list(tracking_numbers)
    keys: list[OrderKey] = []
    for start in range(0, len(numbers), CHUNK):
        query = select(parcels.c.shop_id, parcels.c.order_no).where(
            parcels.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        keys.extend((r.shop_id, r.order_no) for r in conn.execute(query))
    return keys


def orders_by_parcel(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, list[OrderKey]]:
    """Each tracking number's orders (numbers without an order yet are absent)."""
    numbers = list(tracking_numbers)
    found: dict[str, list[OrderKey]] = {}
    for start in range(0, len(numbers), CHUNK):
        query = select(parcels.c.tracking_no, parcels.c.shop_id, parcels.c.order_no).where(
            parcels.c.tracking_no.in_(numbers[start : start + CHUNK])
        )
        for row in conn.execute(query):
            found.setdefault(row.tracking_no, []).append((row.shop_id, row.order_no))
    return found


@lru_cache(maxsize=256)
def _warehouse_province(settings: str) -> str:
    try:
        value = json.loads(settings or "{}").get("warehouse", "")
    except (ValueError, AttributeError):
        return ""
    return province_of(value) if isinstance(value, str) else ""


def lanes_of(conn: Connection, tracking_numbers: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(origin, destination) province of each parcel with an order: the shop's warehouse (settings
    `warehouse`) and the buyer's province, short names, "" when unknown."""
    numbers = list(tracking_numbers)
    p, o, s = parcels, orders, shops
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(numbers), CHUNK):
        query = (
            select(p.c.tracking_no, o.c.province, s.c.settings)
            .select_from(
                p.join(o, (o.c.shop_id == p.c.shop_id) & (o.c.order_no == p.c.order_no)).join(
                    s, s.c.id == p.c.shop_id
                )
            )
            .where(p.c.tracking_no.in_(numbers[start : start + CHUNK]))
        )
        for row in conn.execute(query):
            found.setdefault(row.tracking_no, (_warehouse_province(row.settings), province_of(row.province)))
    return found
