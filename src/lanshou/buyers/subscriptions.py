"""Profiles follow the orders: a change marks its orders in the writer's own transaction (a crash loses
no mark); after it commits, the marked orders' profiles are recomputed from what is stored
(`store.catch_up_buyers`, which every buyers read also runs first)."""

from __future__ import annotations

from lanshou.buyers.store import catch_up_buyers
from lanshou.buyers.tables import buyer_dirty
from lanshou.db.marks import mark
from lanshou.events import AfterSalesChanged, EventBus, FeedbackArrived, OrdersChanged

EVENTS = (OrdersChanged, AfterSalesChanged, FeedbackArrived)


def subscribe(bus: EventBus) -> None:
    for kind in EVENTS:
        bus.during(kind, lambda conn, event: mark(conn, buyer_dirty, event.keys))
    bus.after(EVENTS, lambda engine, _events: catch_up_buyers(engine))
