"""An order's reservations for its detail view (`lanshou orders show`, `GET /api/v1/orders/{id}`): the
inventory area adds them to the orders area's detail, so both faces print the same JSON and orders need
not know about stock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from lanshou.inventory.queries import order_reservations
from lanshou.orders.detail import iso, shops_holding


def with_reservations(
    conn: Connection, detail: dict[str, Any], order_id: str, shop_ids: Sequence[int]
) -> dict[str, Any]:
    """`detail` (of `find_order_detail`) with what the order holds or held in stock, in the detail's zone."""
    ((shop_id, _),) = shops_holding(conn, order_id, shop_ids)
    tz = ZoneInfo(detail["timezone"])
    detail["reservations"] = [
        {**row, "created_at": iso(row["created_at"], tz), "closed_at": iso(row["closed_at"], tz)}
        for row in order_reservations(conn, shop_id, order_id.strip())
    ]
    return detail
