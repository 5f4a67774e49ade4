"""The statistics follow orders and after-sales cases: a change marks its orders in the writer's own
transaction (a crash loses no mark). The marked orders are derived again and their days regrouped off the
writer's path: by the `stats.catch_up` job (lanshou.stats.tasks, every minute in `lanshou run` /
`lanshou worker`) and by every report, which runs the same catch-up (`refresh.catch_up_stats`) before it
answers, so a report is never stale. An import does not wait for it (issue 9)."""

from __future__ import annotations

from lanshou.db.marks import mark
from lanshou.events import AfterSalesChanged, EventBus, OrdersChanged
from lanshou.stats.tables import stats_dirty

EVENTS = (OrdersChanged, AfterSalesChanged)


def subscribe(bus: EventBus) -> None:
    for kind in EVENTS:
        bus.during(kind, lambda conn, event: mark(conn, stats_dirty, event.keys))
