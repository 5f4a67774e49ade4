"""A buyer as the staff of some shops may see them.

A profile is one buyer across every shop (lanshou.buyers.profile), but a user granted only some shops must
not learn another shop's orders — not even as a total, a favourite category or a shop's name in `shops`.
So, for a set of shops:
- a buyer with no order in them is not seen at all (listed nowhere, not found);
- a buyer all of whose orders are in them is seen as stored (the figures are theirs already);
- a buyer who also bought elsewhere is seen through a profile computed from these shops' orders only —
  figures, favourites, last receiver, and the tier and segments those figures earn. The blacklist is one
  flag for the whole merchant (review holds the buyer's orders in every shop), so it is shown as stored.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Connection, intersect, select

from lanshou.buyers.store import computed
from lanshou.buyers.tables import buyer_orders, buyer_profiles
from lanshou.orders.keys import CHUNK
from lanshou.shops.tables import shops


def narrowed(conn: Connection, shop_ids: Collection[int] | None) -> frozenset[int] | None:
    """The shops to see buyers from, or None when that is every shop (the stored profiles as they are)."""
    if shop_ids is None:
        return None
    wanted = frozenset(shop_ids)
    every = set(conn.execute(select(shops.c.id)).scalars())
    return None if every <= wanted else wanted


def bought_in(shop_ids: Collection[int]) -> ColumnElement[bool]:
    """SQL: the profile has an order in these shops."""
    b = buyer_orders.c
    return (
        select(b.profile_key).where(b.profile_key == buyer_profiles.c.key, b.shop_id.in_(shop_ids)).exists()
    )


def only_in(shop_ids: Collection[int]) -> ColumnElement[bool]:
    """SQL: the profile has orders in these shops and in no other (its stored figures are theirs)."""
    b = buyer_orders.c
    elsewhere = select(b.profile_key).where(b.profile_key == buyer_profiles.c.key, b.shop_id.not_in(shop_ids))
    return bought_in(shop_ids) & ~elsewhere.exists()


def spanning(conn: Connection, shop_ids: Collection[int]) -> list[str]:
    """The profiles with orders both in these shops and in others."""
    b = buyer_orders.c
    inside = select(b.profile_key).where(b.shop_id.in_(shop_ids))
    outside = select(b.profile_key).where(b.shop_id.not_in(shop_ids))
    return sorted(conn.execute(intersect(inside, outside)).scalars())


def seen_from(
    conn: Connection, profile_keys: Sequence[str], shop_ids: Collection[int], now: datetime
) -> list[Any]:
    """These profiles as stored, their figures computed from `shop_ids`' orders only: rows with the
    columns of `buyer_profiles`."""
    p = buyer_profiles.c
    stored: dict[str, Any] = {}
    for start in range(0, len(profile_keys), CHUNK):
        query = select(buyer_profiles).where(p.key.in_(profile_keys[start : start + CHUNK]))
        stored.update((row.key, row) for row in conn.execute(query))
    return [
        SimpleNamespace(**{**stored[row["key"]]._mapping, **row})
        for row in computed(conn, profile_keys, now, shop_ids=shop_ids)
        if row["key"] in stored
    ]


def seen(conn: Connection, row: Any, shop_ids: Collection[int] | None, now: datetime) -> Any:
    """One stored profile row as seen from these shops (itself when they hold all its orders)."""
    if shop_ids is None:
        return row
    b = buyer_orders.c
    elsewhere = select(b.shop_id).where(b.profile_key == row.key, b.shop_id.not_in(shop_ids)).limit(1)
    if conn.execute(elsewhere).first() is None:
        return row
    return seen_from(conn, [row.key], shop_ids, now)[0]


def biggest_first(row: Any) -> tuple[Decimal, str]:
    """The lists' order (spend, most first; then the key), for rows from SQL and computed alike."""
    return -Decimal(row.spend), row.key
