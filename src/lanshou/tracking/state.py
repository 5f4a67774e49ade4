"""A parcel's current state, folded from its events: pure, no I/O.

The state is what `tracking show`, the alert scan and the ETA read instead of scanning events. It is kept
incrementally: `advance(stored, new_events)` gives the same state whatever order the events arrive in and
however often one arrives again (minimum/maximum times, the newest readable status), and tells each real
status change once, in event-time order. An event whose status nothing could read (None) still shows the
parcel is alive (`last_event_at`) but is never a carrier scan and never a status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
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


def _earliest(current: datetime | None, times: Iterable[datetime]) -> datetime | None:
    return min((t for t in (current, *times) if t is not None), default=None)


def _position(status: T | None, at: datetime | None) -> tuple[datetime, int] | None:
    return None if status is None or at is None else (at, STAGE[status])


def advance(
    tracking_no: str, stored: ParcelState | None, events: Iterable[EventFacts]
) -> tuple[ParcelState, list[StatusChange]]:
    """The state after `events` (new or repeated, in any order), and the status changes they make."""
    state = stored or ParcelState(tracking_no)
    ordered = sorted(events, key=lambda e: (e.time, STAGE[e.status] if e.status else -1))
    if not ordered:
        return state, []
    readable = [e for e in ordered if e.status is not None]
    newest_carrier = next((e.carrier for e in reversed(ordered) if e.carrier), "")
    state = replace(
        state,
        carrier=newest_carrier or state.carrier,
        pickup_at=_earliest(state.pickup_at, (e.time for e in readable if e.status != T.INFO_RECEIVED)),
        delivered_at=_earliest(state.delivered_at, (e.time for e in readable if e.status == T.DELIVERED)),
        returned_at=_earliest(state.returned_at, (e.time for e in readable if e.status in RETURN_STATUSES)),
        last_event_at=max(t for t in (state.last_event_at, ordered[-1].time) if t is not None),
    )
    changes: list[StatusChange] = []
    current = _position(state.status, state.status_seen_at)
    for event in readable:
        assert event.status is not None
        position = (event.time, STAGE[event.status])
        if current is not None and position <= current:
            continue  # older than what we know (arrived late, or again): history, not news
        if event.status != state.status:
            changes.append(StatusChange(tracking_no, state.carrier, event.status, state.status, event.time))
            state = replace(state, status=event.status, status_at=event.time)
        state = replace(state, status_seen_at=event.time)
        current = position
    return state, changes
