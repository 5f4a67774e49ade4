"""Writing parcels and carrier events: batched, idempotent (natural keys, ON CONFLICT)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from lanshou.db.bulk import Row, insert_new, upsert
from lanshou.tracking.tables import parcels, tracking_events

EVENT_KEY = ("tracking_no", "event_time", "raw_status")
PARCEL_COLUMNS = ("shop_id", "order_no", "tracking_no", "carrier", "shipped_at")


def save_parcels(conn: Connection, rows: Sequence[Row], columns: Sequence[str] = PARCEL_COLUMNS) -> None:
    """Parcels by tracking number: a re-import updates the carrier and the shipped time."""
    upsert(conn, parcels, rows, ["tracking_no"], ["carrier", "shipped_at"], columns)


def store_events(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert events not stored yet (same tracking number, time and raw status); returns how many were new."""
    return insert_new(conn, tracking_events, rows, EVENT_KEY)
