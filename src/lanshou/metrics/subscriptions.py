"""How the metrics keep their rollups current: they listen to what intake publishes.

During the writer's transaction the changed orders (or, for carrier events, the tracking numbers) are marked
dirty, so a crash never loses the mark (orders an import has just created are derived there and then
instead, from what it wrote); after it commits, the marked orders are re-derived and the rollups
move by the difference (lanshou.metrics.rollups.refresh, safe beside other processes doing the same).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from lanshou.events import EventBus, FeedbackArrived, OrdersChanged, ParcelEventsArrived, ShopChanged
from lanshou.metrics.packs import pack_for
from lanshou.metrics.rollups import derive_created, mark_dirty, mark_tracking_dirty
from lanshou.metrics.upkeep import after_writes, catch_up_alongside
from lanshou.orders.tables import orders


def subscribe(bus: EventBus) -> None:
    bus.during(OrdersChanged, _derive_or_mark_orders)
    bus.during(FeedbackArrived, _mark_orders)
    bus.during(ParcelEventsArrived, _mark_parcel_orders)
    bus.during(ShopChanged, _mark_shop_orders)
    bus.after(
        (OrdersChanged, FeedbackArrived, ParcelEventsArrived, ShopChanged),
        lambda engine, _: after_writes(engine),
    )
    bus.alongside(catch_up_alongside)  # the refresh works from committed marks: it can run beside an import


def _mark_orders(conn: Connection, event: OrdersChanged | FeedbackArrived) -> None:
    mark_dirty(conn, event.keys)


def _derive_or_mark_orders(conn: Connection, event: OrdersChanged) -> None:
    """Orders the event offers as just created are derived at once, from what was written (an import's
    refresh would read every one back); the others are marked."""
    derived = derive_created(conn, event.created, pack_for) if event.created else set()
    mark_dirty(conn, [key for key in event.keys if key not in derived] if derived else event.keys)


def _mark_parcel_orders(conn: Connection, event: ParcelEventsArrived) -> None:
    """Only parcels whose journey changed: an event already stored, or after the delivery and no return,
    changes no metric input (pickup, the gaps up to delivery, delivery, return), so re-importing a file,
    or pushes that only repeat what is stored, derive nothing again."""
    changed = event.tracking_nos if event.journey_changed is None else event.journey_changed
    mark_tracking_dirty(conn, changed)  # the refresh finds the orders they carry, under its lock


def _mark_shop_orders(conn: Connection, event: ShopChanged) -> None:
    """A shop's timezone moves its orders' local days (rollup days): every order of it is re-derived."""
    for shop_id in event.shop_ids:
        keys = conn.execute(select(orders.c.shop_id, orders.c.order_no).where(orders.c.shop_id == shop_id))
        mark_dirty(conn, [(row.shop_id, row.order_no) for row in keys])
