"""The statistics follow orders and after-sales cases: after each change commits, the orders it touched are
re-derived and their days regrouped (after the buyer profiles, whose links tell repeat purchases)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from lanshou.events import AfterSalesChanged, EventBus, OrdersChanged
from lanshou.stats.refresh import refresh_in_batches


def subscribe(bus: EventBus) -> None:
    bus.after((OrdersChanged, AfterSalesChanged), refresh_stats)


def refresh_stats(engine: Engine, events: list[Any]) -> int:
    return refresh_in_batches(engine, {key for event in events for key in event.keys})
