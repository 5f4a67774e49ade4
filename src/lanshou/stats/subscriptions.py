"""The statistics follow orders and after-sales cases: a change marks its orders in the writer's own
transaction (a crash loses no mark); after it commits, the marked orders are derived again and their days
regrouped (`refresh.catch_up_stats`, which every report also runs first)."""

from __future__ import annotations

from lanshou.db.marks import mark
from lanshou.events import AfterSalesChanged, EventBus, OrdersChanged
from lanshou.stats.refresh import catch_up_stats
from lanshou.stats.tables import stats_dirty

EVENTS = (OrdersChanged, AfterSalesChanged)


def subscribe(bus: EventBus) -> None:
    for kind in EVENTS:
        bus.during(kind, lambda conn, event: mark(conn, stats_dirty, event.keys))
    bus.after(EVENTS, lambda engine, _events: catch_up_stats(engine))
