"""The orders query of `lanshou.orders.queries`, limited to a set of shops and paged by keyset.

`OrderFilter` has no shop-id restriction and pages by offset, so this module composes the same pieces
(`_conditions`, `_line_summary`, `_first_parcel`) with two more conditions on the picked orders. Once the
orders area's filter grows `shop_ids` and `before_id`, this collapses into a call of `query_orders`.

Finding one order by number is the hot path (an ERP polls it): its statement is built once, with bound
parameters, because building the CTEs anew took ~10x longer than running them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import CTE, Connection, Select, and_, bindparam, func, select

from lanshou import schema as s
from lanshou.orders.queries import (
    DETAIL_COLUMNS,
    OrderFilter,
    OrderRow,
    _conditions,
    _first_parcel,
    _line_summary,
)


def scoped_orders(
    conn: Connection, flt: OrderFilter, shop_ids: Sequence[int], limit: int, before_id: int | None = None
) -> list[tuple[int, OrderRow]]:
    """Up to `limit` matching orders of these shops, newest imported first, with their row ids (the keyset:
    pass the last id as `before_id` for the next page)."""
    if not shop_ids:
        return []
    if flt.order_no and before_id is None and flt == replace(OrderFilter(), order_no=flt.order_no):
        params = {"shop_ids": list(shop_ids), "order_no": flt.order_no.strip(), "limit": limit}
        rows = conn.execute(_one_order_statement(), params)
    else:
        rows = conn.execute(_statement(conn, flt, shop_ids, limit, before_id))
    found = []
    for row in rows:
        fields = dict(row._mapping)
        found.append((fields.pop("row_id"), OrderRow(**fields)))
    return found


def _picked_columns() -> list[Any]:
    o, sh = s.orders.c, s.shops.c
    return [
        o.id,
        o.shop_id,
        o.order_no,
        sh.platform,
        sh.name.label("shop"),
        sh.timezone.label("shop_timezone"),
        *(o[name] for name in DETAIL_COLUMNS),
    ]


@cache
def _one_order_statement() -> Select[Any]:
    """The orders numbered :order_no in the shops :shop_ids (one per shop at most): the unique index."""
    o, sh = s.orders.c, s.shops.c
    picked = (
        select(*_picked_columns())
        .join(s.shops, sh.id == o.shop_id)
        .where(o.shop_id.in_(bindparam("shop_ids", expanding=True)), o.order_no == bindparam("order_no"))
        .order_by(o.id.desc())
        .limit(bindparam("limit"))
        .cte("picked")
    )
    return _with_lines_and_parcel(picked)


def _statement(
    conn: Connection, flt: OrderFilter, shop_ids: Sequence[int], limit: int, before_id: int | None
) -> Select[Any]:
    o, sh = s.orders.c, s.shops.c
    conditions = [_in_shops(conn, o.shop_id, shop_ids), *_conditions(conn, flt)]
    if before_id is not None:
        conditions.append(o.id < before_id)
    picked = (
        select(*_picked_columns())
        .join(s.shops, sh.id == o.shop_id)
        .where(*conditions)
        .order_by(o.id.desc())
        .limit(limit)
        .cte("picked")
    )
    return _with_lines_and_parcel(picked)


def _with_lines_and_parcel(picked: CTE) -> Select[Any]:
    """The picked orders as OrderRow columns (plus row_id): lines summarised, the first parcel joined."""
    lines = _line_summary(picked)
    first_parcel = _first_parcel(picked)
    p, q = picked.c, s.parcels.c
    return (
        select(
            p.id.label("row_id"),
            p.order_no,
            p.platform,
            p.shop,
            p.shop_timezone,
            *(p[name] for name in DETAIL_COLUMNS),
            func.coalesce(lines.c.line_count, 0).label("line_count"),
            func.coalesce(lines.c.quantity, 0).label("quantity"),
            func.coalesce(lines.c.skus, "").label("skus"),
            func.coalesce(lines.c.titles, "").label("titles"),
            func.coalesce(q.carrier, "").label("carrier"),
            func.coalesce(q.tracking_no, "").label("tracking_no"),
        )
        .select_from(picked)
        .outerjoin(lines, and_(lines.c.shop_id == p.shop_id, lines.c.order_no == p.order_no))
        .outerjoin(
            first_parcel, and_(first_parcel.c.shop_id == p.shop_id, first_parcel.c.order_no == p.order_no)
        )
        .outerjoin(s.parcels, q.id == first_parcel.c.parcel_id)
        .order_by(p.id.desc())
    )


def _in_shops(conn: Connection, shop_id: Any, shop_ids: Sequence[int]) -> Any:
    """`shop_id IN (...)`. On SQLite as `shop_id + 0`, which keeps its planner off the (shop_id, order_no)
    index: that index made it collect and sort every order of the shops before taking a page (3 s on 200k
    orders) instead of walking the ids newest first and stopping after one page. A search by order number
    still uses the index through `_conditions`. PostgreSQL chooses by its statistics."""
    column = shop_id + 0 if conn.dialect.name == "sqlite" else shop_id
    return column.in_(list(shop_ids))
