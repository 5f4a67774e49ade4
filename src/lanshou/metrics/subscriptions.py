"""How the metrics keep their rollups current: they listen to what intake publishes.

During the writer's transaction the changed orders (or, for carrier events, the tracking numbers) are marked
dirty, so a crash never loses the mark; after it commits, the marked orders are re-derived and the rollups
move by the difference (lanshou.metrics.rollups.refresh, safe beside other processes doing the same).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from lanshou.events import EventBus, FeedbackArrived, OrdersChanged, ParcelEventsArrived
from lanshou.metrics.packs import derive_rules_for
from lanshou.metrics.rollups import mark_dirty, mark_tracking_dirty, refresh
from lanshou.progress import track


def subscribe(bus: EventBus) -> None:
    bus.during(OrdersChanged, _mark_orders)
    bus.during(FeedbackArrived, _mark_orders)
    bus.during(ParcelEventsArrived, _mark_parcel_orders)
    bus.after((OrdersChanged, FeedbackArrived, ParcelEventsArrived), bring_rollups_up_to_date)


def _mark_orders(conn: Connection, event: OrdersChanged | FeedbackArrived) -> None:
    mark_dirty(conn, event.keys)


def _mark_parcel_orders(conn: Connection, event: ParcelEventsArrived) -> None:
    mark_tracking_dirty(conn, event.tracking_nos)  # the refresh finds the orders they carry, under its lock


def bring_rollups_up_to_date(engine: Engine, _events: list[Any] | None = None) -> int:
    """Re-derive every order marked dirty; returns how many were."""
    with track("updating metric rollups / 更新指标") as tick:
        return refresh(engine, derive_rules_for, tick)
