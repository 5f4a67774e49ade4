"""Writing buyers and their feedback: batched, idempotent (natural keys, ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from lanshou.customers.tables import buyers, feedback
from lanshou.db.bulk import Row, insert_new, upsert

FEEDBACK_KEY = ("shop_id", "order_no", "created_at")


def save_buyers(conn: Connection, rows: Sequence[Row], columns: Sequence[str]) -> None:
    """Buyers by (platform, buyer key): the newest name, phone and address win."""
    upsert(conn, buyers, rows, columns[:2], columns[2:], columns)


def store_feedback(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert feedback not stored yet (same shop, order and time); returns how many were new."""
    return insert_new(conn, feedback, rows, FEEDBACK_KEY)


def feedback_of(conn: Connection, keys: Sequence[tuple[int, str]]) -> list[dict[str, Any]]:
    """Every stored feedback of these orders: shop_id, order_no, created_at, rating, tags, content."""
    from sqlalchemy import select

    from lanshou.orders.keys import by_shop

    f = feedback.c
    found: list[dict[str, Any]] = []
    for shop_id, numbers in by_shop(sorted(set(keys))):
        query = select(f.shop_id, f.order_no, f.created_at, f.rating, f.tags, f.content).where(
            f.shop_id == shop_id, f.order_no.in_(numbers)
        )
        found.extend(dict(row._mapping) for row in conn.execute(query.order_by(f.order_no, f.created_at)))
    return found
