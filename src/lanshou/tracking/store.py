"""Writing parcels, carrier events and parcel states: batched, idempotent (natural keys, ON CONFLICT).

An event whose status nothing could read is stored with its raw status and text and an empty `status`
column (UNREADABLE): code above this module sees None. (The representation of "unreadable" in the
column is being settled on another branch; it is chosen here only, in `status_column`/`status_value`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from lanshou.db.bulk import Row, insert_new, upsert
from lanshou.orders.keys import CHUNK
from lanshou.tracking.state import ParcelState
from lanshou.tracking.status import NORMALISED, TrackingStatus
from lanshou.tracking.tables import parcel_state, parcels, tracking_events

EVENT_KEY = ("tracking_no", "event_time", "raw_status")
PARCEL_COLUMNS = ("shop_id", "order_no", "tracking_no", "carrier", "shipped_at")
UNREADABLE = ""  # the status column of an event no table or text rule could read
STATE_COLUMNS = (
    "tracking_no",
    "carrier",
    "status",
    "status_at",
    "status_seen_at",
    "pickup_at",
    "last_event_at",
    "delivered_at",
    "returned_at",
    "finished",
    "eta",
    "pickup_eta",
    "late_after",
    "updated_at",
)


def status_column(status: str | None) -> str:
    return status if status else UNREADABLE


def status_value(column: str | None) -> TrackingStatus | None:
    return TrackingStatus(column) if column in NORMALISED else None


def save_parcels(conn: Connection, rows: Sequence[Row], columns: Sequence[str] = PARCEL_COLUMNS) -> None:
    """Parcels by tracking number: a re-import updates the carrier and the shipped time. Each parcel gets
    a (bare) state at once, so "no carrier scan yet" is one indexed look-up (pickup_at IS NULL)."""
    upsert(conn, parcels, rows, ["tracking_no"], ["carrier", "shipped_at"], columns)
    if not rows:
        return
    number, carrier = columns.index("tracking_no"), columns.index("carrier")
    now = datetime.now(UTC).replace(tzinfo=None)
    bare = [
        (r[number], r[carrier], now) if isinstance(r, tuple) else (r["tracking_no"], r["carrier"], now)
        for r in rows
    ]
    insert_new(conn, parcel_state, bare, ["tracking_no"], ("tracking_no", "carrier", "updated_at"))


def store_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert events not stored yet (same tracking number, time and raw status); returns how many were new.
    Rows carry `status` as a normalised value, or None/"" when unreadable."""
    if any(not row["status"] for row in rows):
        rows = [{**row, "status": status_column(row["status"])} for row in rows]
    return insert_new(conn, tracking_events, rows, EVENT_KEY)


def load_states(conn: Connection, numbers: Iterable[str]) -> dict[str, ParcelState]:
    wanted = list(numbers)
    found: dict[str, ParcelState] = {}
    t = parcel_state
    for start in range(0, len(wanted), CHUNK):
        query = select(*(t.c[name] for name in STATE_COLUMNS if name not in ("finished", "updated_at")))
        for row in conn.execute(query.where(t.c.tracking_no.in_(wanted[start : start + CHUNK]))):
            values = row._asdict()
            values["status"] = status_value(values["status"])
            found[row.tracking_no] = ParcelState(**values)
    return found


def save_states(conn: Connection, states: Sequence[ParcelState], now: datetime) -> None:
    """Upsert the states (every column but polled_at, which only the poller writes)."""
    rows = [
        (
            s.tracking_no,
            s.carrier,
            s.status.value if s.status else None,
            s.status_at,
            s.status_seen_at,
            s.pickup_at,
            s.last_event_at,
            s.delivered_at,
            s.returned_at,
            s.finished,
            s.eta,
            s.pickup_eta,
            s.late_after,
            now,
        )
        for s in states
    ]
    upsert(conn, parcel_state, rows, ["tracking_no"], STATE_COLUMNS[1:], STATE_COLUMNS)
