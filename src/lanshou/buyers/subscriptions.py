"""Profiles follow the orders: after an import (or an after-sales step, or feedback) commits, the profiles
of the orders it touched are recomputed from what is stored, a chunk per transaction."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.buyers.store import refresh_orders
from lanshou.db.engine import run_transaction
from lanshou.events import AfterSalesChanged, EventBus, FeedbackArrived, OrdersChanged
from lanshou.orders.facts import now_utc

CHUNK = 2000


def subscribe(bus: EventBus) -> None:
    bus.after((OrdersChanged, AfterSalesChanged, FeedbackArrived), refresh_profiles)


def _refresh(keys: list[tuple[int, str]], now: datetime, conn: Connection) -> int:
    return refresh_orders(conn, keys, now)


def refresh_profiles(engine: Engine, events: list[Any]) -> int:
    keys = sorted({key for event in events for key in event.keys})
    now = now_utc()
    done = 0
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        done += run_transaction(engine, partial(_refresh, chunk, now))
    return done
