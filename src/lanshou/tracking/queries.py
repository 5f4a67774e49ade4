"""What other areas may ask of tracking: which orders a tracking number belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from lanshou.orders.keys import CHUNK, OrderKey
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
