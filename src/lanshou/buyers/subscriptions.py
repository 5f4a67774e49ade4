"""Profiles follow the orders: a change marks its orders in the writer's own transaction (a crash loses
no mark). The marked orders' profiles are recomputed off the writer's path: by the `buyers.catch_up` job
(lanshou.buyers.tasks, every minute in `lanshou run` / `lanshou worker`) and by every buyers read, which
runs the same catch-up (`store.catch_up_buyers`) before it answers, so an answer is never stale. An import
does not wait for it (issue 9: it cost an import more than the import itself)."""

from __future__ import annotations

from lanshou.buyers.tables import buyer_dirty
from lanshou.db.marks import mark
from lanshou.events import AfterSalesChanged, EventBus, FeedbackArrived, OrdersChanged

EVENTS = (OrdersChanged, AfterSalesChanged, FeedbackArrived)


def subscribe(bus: EventBus) -> None:
    for kind in EVENTS:
        bus.during(kind, lambda conn, event: mark(conn, buyer_dirty, event.keys))
