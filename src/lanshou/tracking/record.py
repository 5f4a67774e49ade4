"""Recording carrier events, whatever brought them (a file, a push, a poll): the one write path.

In the caller's transaction: store the events (duplicates ignored), fold them into each parcel's state
(set-based: the batch's parcels are read once and upserted once), refresh the ETAs the batch touched, then
publish each real status change (`ParcelStatusChanged`, in event-time order) and `ParcelEventsArrived`.
Alerts, notifications and metric rollups subscribe to those; nothing here calls them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from lanshou.events import EventBus, ParcelEventsArrived, ParcelStatusChanged, bus
from lanshou.tracking.eta import EtaSettings, Lane, estimate, norm_for
from lanshou.tracking.lanes import lane_book
from lanshou.tracking.queries import lanes_of
from lanshou.tracking.state import EventFacts, ParcelState, StatusChange, advance
from lanshou.tracking.status import TrackingStatus
from lanshou.tracking.store import load_states, save_states, store_events

STATUS_OF = {s.value: s for s in TrackingStatus}  # a row's status value → the enum; anything else: None
# after a delivery these still change the journey (a return, a refusal: the parcel is no delivery after all)
STILL_NEWS_AFTER_DELIVERY = frozenset(
    {TrackingStatus.RETURNING, TrackingStatus.RETURNED, TrackingStatus.REJECTED, TrackingStatus.LOST}
)
LAST_MILE = frozenset({TrackingStatus.OUT_FOR_DELIVERY, TrackingStatus.AVAILABLE_FOR_PICKUP})
EVENT_COLUMNS = ("tracking_no", "carrier", "event_time", "status", "raw_status", "location", "description")


@dataclass(frozen=True)
class Recorded:
    new: int  # events stored now
    repeated: int  # events already stored (ignored)
    changes: tuple[StatusChange, ...]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_events(
    conn: Connection,
    rows: Sequence[dict[str, Any]],
    events: EventBus = bus,
    now: datetime | None = None,
    eta_settings: EtaSettings = EtaSettings(),
) -> Recorded:
    """Rows have EVENT_COLUMNS; `event_time` naive UTC, a datetime or time_text's text of one (a file's
    parsed rows: written as it is); `status` a normalised value or None (unreadable)."""
    if not rows:
        return Recorded(0, 0, ())
    # None: every event was new. On PostgreSQL another import's events may be among them: a parcel is
    # derived again once too often, never once too few
    new_events = store_events(conn, rows)
    new = len(rows) if new_events is None else len(new_events)
    grouped: dict[str, list[EventFacts]] = defaultdict(list)
    read = STATUS_OF.get
    for row in rows:
        grouped[row["tracking_no"]].append(
            EventFacts(_time(row["event_time"]), read(row["status"]), row["carrier"])
        )
    stored = load_states(conn, grouped)
    fresh = grouped if new_events is None else _by_parcel(new_events)
    changed: dict[str, ParcelState] = {}
    changes: list[StatusChange] = []
    for number, facts in grouped.items():
        before = stored.get(number)
        after, moves = advance(number, before, facts)
        if after != before:
            changed[number] = after
            changes.extend(moves)
    _estimate(conn, changed, stored, eta_settings)
    save_states(conn, list(changed.values()), now or utc_now())
    changes.sort(key=lambda c: (c.at, c.tracking_no))
    for change in changes:
        events.publish(
            conn,
            ParcelStatusChanged(
                change.tracking_no,
                change.carrier,
                change.status.value,
                change.previous.value if change.previous else None,
                change.at,
            ),
        )
    events.publish(conn, ParcelEventsArrived(tuple(grouped), _journeys_changed(grouped, fresh, stored)))
    return Recorded(new, len(rows) - new, tuple(changes))


def _time(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _by_parcel(events: list[tuple[Any, ...]]) -> dict[str, list[EventFacts]]:
    """(tracking number, time, status column, carrier) of the new events -> their facts, by parcel."""
    found: dict[str, list[EventFacts]] = defaultdict(list)
    for number, when, status, carrier in events:
        found[number].append(EventFacts(when, STATUS_OF.get(status), carrier))
    return found


def _journeys_changed(
    grouped: dict[str, list[EventFacts]], fresh: dict[str, list[EventFacts]], stored: dict[str, ParcelState]
) -> tuple[str, ...]:
    """The parcels whose journey these events may change: those that got a new event, but those already
    delivered whose new events all came later and are no return (the first delivery, the first scan before
    it and the gaps up to it stay)."""
    return tuple(
        number
        for number in grouped
        if (facts := fresh.get(number)) and not _after_delivery(stored.get(number), facts)
    )


def _after_delivery(before: ParcelState | None, facts: list[EventFacts]) -> bool:
    delivered = before.delivered_at if before is not None else None
    return delivered is not None and all(
        f.time > delivered and f.status not in STILL_NEWS_AFTER_DELIVERY for f in facts
    )


def _estimate(
    conn: Connection, changed: dict[str, ParcelState], stored: dict[str, ParcelState], settings: EtaSettings
) -> None:
    """New ETAs for the parcels whose pickup moved or that reached or left the last mile (the ETA depends
    on nothing else); the first one given is kept as pickup_eta. No lane measured yet: no ETA to give."""
    moved = [
        number
        for number, state in changed.items()
        if state.pickup_at is not None
        and (
            (before := stored.get(number)) is None
            or before.pickup_at != state.pickup_at
            or (before.status != state.status and (before.status in LAST_MILE or state.status in LAST_MILE))
        )
    ]
    if not moved:
        return
    book = lane_book(conn)
    if not book:
        return
    lanes = lanes_of(conn, moved)
    for number in moved:
        state = changed[number]
        origin, destination = lanes.get(number, ("", ""))
        norm = norm_for(book, Lane(state.carrier, origin, destination), settings.min_parcels)
        guess = estimate(state, norm, settings)
        pickup_eta = state.pickup_eta if state.pickup_eta is not None else guess.lane_eta
        changed[number] = replace(state, eta=guess.eta, late_after=guess.late_after, pickup_eta=pickup_eta)
