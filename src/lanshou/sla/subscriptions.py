"""How alerts follow the parcels: a status that is itself a problem (failed attempt, return, refusal)
raises its alert as soon as the change is committed, without waiting for the next scan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from lanshou.events import EventBus, ParcelStatusChanged
from lanshou.sla.alerts import ON_STATUS
from lanshou.sla.scan import scan_parcels
from lanshou.tracking.record import utc_now


def subscribe(bus: EventBus) -> None:
    bus.after((ParcelStatusChanged,), scan_changed_parcels)


def scan_changed_parcels(engine: Engine, events: list[Any]) -> int:
    """Scan the parcels whose new status raises an alert; returns how many alerts were opened."""
    numbers = sorted({e.tracking_no for e in events if e.status in ON_STATUS})
    if not numbers:
        return 0
    return scan_parcels(engine, numbers, utc_now()).opened
