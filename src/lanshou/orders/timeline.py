"""The order's timeline: every decision and change, with its time, actor and reason.

Every area that decides something about an order (review, stock, carrier choice, shipping, alerts,
notifications, after-sales) writes one entry here in the same transaction as the decision, so a person
can always see why. Reading gives the entries oldest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from lanshou.db.bulk import insert_rows
from lanshou.orders.tables import order_events

SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    shop_id: int
    order_no: str
    at: datetime  # naive UTC
    kind: str  # e.g. "accepted", "held", "carrier_chosen", "notification_sent"
    detail: str = ""  # the rule or reason, in words a person reads
    actor: str = SYSTEM


def record(conn: Connection, entries: Sequence[TimelineEntry]) -> None:
    """Append entries in one batched insert, inside the caller's transaction."""
    insert_rows(
        conn,
        order_events,
        [(e.shop_id, e.order_no, e.at, e.kind, e.detail, e.actor) for e in entries],
        ("shop_id", "order_no", "at", "kind", "detail", "actor"),
    )


def read(conn: Connection, shop_id: int, order_no: str) -> list[TimelineEntry]:
    t = order_events.c
    query = (
        select(t.shop_id, t.order_no, t.at, t.kind, t.detail, t.actor)
        .where(t.shop_id == shop_id, t.order_no == order_no)
        .order_by(t.at, t.id)
    )
    return [TimelineEntry(*row) for row in conn.execute(query)]
