"""How the metrics keep their rollups current: they listen to what intake publishes.

During the writer's transaction the changed orders are marked dirty (so a crash never loses the mark);
after it commits, the dirty orders are re-derived and the rollups move by the difference.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from lanshou.events import EventBus, FeedbackArrived, OrdersChanged, ParcelEventsArrived
from lanshou.metrics.rollups import mark_dirty
from lanshou.metrics.upkeep import bring_rollups_up_to_date
from lanshou.tracking.queries import orders_of


def subscribe(bus: EventBus) -> None:
    bus.during(OrdersChanged, _mark_orders)
    bus.during(FeedbackArrived, _mark_orders)
    bus.during(ParcelEventsArrived, _mark_parcel_orders)
    bus.after(
        (OrdersChanged, FeedbackArrived, ParcelEventsArrived),
        lambda engine, _: bring_rollups_up_to_date(engine),
    )


def _mark_orders(conn: Connection, event: OrdersChanged | FeedbackArrived) -> None:
    mark_dirty(conn, event.keys)


def _mark_parcel_orders(conn: Connection, event: ParcelEventsArrived) -> None:
    mark_dirty(conn, orders_of(conn, event.tracking_nos))


def _catch_up(engine: Engine, _events: list[object]) -> None:
    bring_rollups_up_to_date(engine)
