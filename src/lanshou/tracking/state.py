"""A parcel's current state, folded from its events: pure, no I/O.

The state is what `tracking show`, the alert scan and the ETA read instead of scanning events. It is kept
incrementally: `advance(stored, new_events)` gives the same state whatever order the events arrive in and
however often one arrives again (minimum/maximum times, the newest readable status), and tells each real
status change once, in event-time order. An event whose status nothing could read (None) still shows the
parcel is alive (`last_event_at`) but is never a carrier scan and never a status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lanshou.tracking.status import TrackingStatus as T

# Two events stamped the same second: the one further along the journey is the later one.
STAGE: dict[T, int] = {
    T.INFO_RECEIVED: 0,
    T.PICKED_UP: 1,
    T.IN_TRANSIT: 2,
    T.EXCEPTION: 3,
    T.OUT_FOR_DELIVERY: 4,
    T.FAILED_ATTEMPT: 5,
    T.AVAILABLE_FOR_PICKUP: 6,
    T.DELIVERED: 7,
    T.REJECTED: 7,
    T.RETURNING: 8,
    T.RETURNED: 9,
    T.LOST: 9,
}
RETURN_STATUSES = frozenset({T.RETURNED})  # back with the sender: the journey is over


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the state needs of one stored event (times naive UTC)."""

    time: datetime
    status: T | None
    carrier: str = ""


@dataclass(frozen=True, slots=True)
class ParcelState:
    tracking_no: str
    carrier: str = ""
    status: T | None = None  # the newest readable status
    status_at: datetime | None = None  # when the parcel entered it (first event of the current run)
    status_seen_at: datetime | None = None  # the newest readable event (later ones with the same status)
    pickup_at: datetime | None = None  # first carrier scan (any readable status but info_received)
    last_event_at: datetime | None = None  # newest event of any kind: the parcel's last sign of life
    delivered_at: datetime | None = None  # first delivered event
    returned_at: datetime | None = None  # first returned (退签) event
    eta: datetime | None = None  # estimated delivery, refreshed as events arrive
    pickup_eta: datetime | None = None  # the estimate given at pickup, kept to measure accuracy
    late_after: datetime | None = None  # pickup + the lane's usual longest journey (its p90)

    @property
    def finished(self) -> bool:
        """Delivered or back with the sender: nothing more to watch."""
        return self.delivered_at is not None or self.returned_at is not None


@dataclass(frozen=True, slots=True)
class StatusChange:
    tracking_no: str
    carrier: str
    status: T
    previous: T | None
    at: datetime


def advance(
    tracking_no: str, stored: ParcelState | None, events: Iterable[EventFacts]
) -> tuple[ParcelState, list[StatusChange]]:
    """The state after `events` (new or repeated, in any order), and the status changes they make.
    Called for every parcel of every batch: plain locals, one state built at the end."""
    state = stored or ParcelState(tracking_no)
    ordered = sorted(events, key=_order)
    if not ordered:
        return state, []
    carrier, status, status_at, seen = state.carrier, state.status, state.status_at, state.status_seen_at
    pickup, delivered, returned = state.pickup_at, state.delivered_at, state.returned_at
    last = state.last_event_at
    current = None if status is None or seen is None else (seen, STAGE[status])
    changes: list[StatusChange] = []
    for event in ordered:
        if event.carrier:
            carrier = event.carrier
        new = event.status
        if new is None:
            continue
        when = event.time
        if new is not T.INFO_RECEIVED and (pickup is None or when < pickup):
            pickup = when
        if new is T.DELIVERED and (delivered is None or when < delivered):
            delivered = when
        elif new in RETURN_STATUSES and (returned is None or when < returned):
            returned = when
        position = (when, STAGE[new])
        if current is not None and position <= current:
            continue  # older than what we know (arrived late, or again): history, not news
        if new is not status:
            changes.append(StatusChange(tracking_no, carrier, new, status, when))
            status, status_at = new, when
        seen, current = when, position
    newest = ordered[-1].time
    last = newest if last is None or newest > last else last
    after = ParcelState(tracking_no, carrier, status, status_at, seen, pickup, last, delivered, returned,
                        state.eta, state.pickup_eta, state.late_after)  # fmt: skip
    return after, changes


def _order(event: EventFacts) -> tuple[datetime, int]:
    return event.time, STAGE[event.status] if event.status is not None else -1
