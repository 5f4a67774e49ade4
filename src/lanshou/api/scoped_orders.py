"""The orders query of `lanshou.orders.queries`, limited to the caller's shops and paged by keyset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Connection

from lanshou.orders.queries import OrderFilter, OrderRow, find_order, query_orders


def scoped_orders(
    conn: Connection, flt: OrderFilter, shop_ids: Sequence[int], limit: int, before_id: int | None = None
) -> list[tuple[int, OrderRow]]:
    """Up to `limit` matching orders of these shops, newest imported first, with their row ids (the keyset:
    pass the last id as `before_id` for the next page)."""
    if not shop_ids:
        return []
    number = one_order_number(flt, before_id)
    if number is not None:
        rows = find_order(conn, number, shop_ids, limit)
    else:
        rows = list(query_orders(conn, replace(flt, shop_ids=tuple(shop_ids), before_id=before_id), limit))
    return [(row.row_id, row) for row in rows]


def one_order_number(flt: OrderFilter, before_id: int | None) -> str | None:
    """The number, when the filter is only an order number: the one-statement look-up of `find_order`
    (an ERP polling one order)."""
    only_a_number = (
        flt.order_no and before_id is None and flt == replace(OrderFilter(), order_no=flt.order_no)
    )
    return flt.order_no if only_a_number else None
