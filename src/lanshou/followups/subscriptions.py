"""Feedback that arrives opens its follow-ups in the same transaction (a retried batch opens none twice)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, FeedbackArrived
from lanshou.followups.store import open_for_feedback
from lanshou.orders.facts import now_utc


def subscribe(bus: EventBus) -> None:
    bus.during(FeedbackArrived, on_feedback)


def on_feedback(conn: Connection, event: Any) -> None:
    open_for_feedback(conn, event.keys, now_utc())
