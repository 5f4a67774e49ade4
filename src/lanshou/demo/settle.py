"""What the demo's history leaves once it is written: each parcel's state, its ETA, and the alerts.

The demo writes carrier events in bulk, past the tracking write path; here the parcel states are rebuilt
from them (`lanshou.tracking.rebuild`: lanes measured, ETAs set), then the alert scan runs over every
parcel, so the alerts page, `tracking show` and `tracking eta-accuracy` have the demo's content at once.
Nothing is told to buyers: the rebuild publishes nothing, and the scan tells its alerts on a bus of its
own with no subscriber (the demo's stalled parcels are a demonstration, not news to send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from lanshou.events import EventBus
from lanshou.sla.scan import ScanResult, scan_alerts
from lanshou.tracking.rebuild import Rebuilt, rebuild_states
from lanshou.tracking.record import utc_now


@dataclass(frozen=True)
class Settled:
    states: Rebuilt
    alerts: ScanResult


def settle_tracking(engine: Engine, now: datetime | None = None) -> Settled:
    """Rebuild the parcel states from the stored events, then scan every parcel for alerts, quietly."""
    now = now or utc_now()
    states = rebuild_states(engine, now)
    alerts = scan_alerts(engine, now, full=True, events=EventBus())
    return Settled(states, alerts)
