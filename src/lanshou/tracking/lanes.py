"""Lane statistics from the tracking history (the ETA's input), DB side.

`refresh_lanes` measures the deliveries of the last `days` and replaces the lane_stats table (a job runs it
daily); `lane_book` is the table as a mapping, cached per engine for a few minutes because every batch
of events that brings pickups asks for it (per engine, not per URL: a database dropped and made again under
the same URL must not see the old one's lanes).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, delete, select

from lanshou.db.bulk import insert_rows
from lanshou.tracking.eta import Lane, LaneNorm, lane_norms
from lanshou.tracking.queries import lanes_of
from lanshou.tracking.tables import lane_stats, parcel_state

BOOK_TTL_SECONDS = 300.0
BATCH = 5000
_books: weakref.WeakKeyDictionary[Engine, tuple[float, dict[Lane, LaneNorm]]] = weakref.WeakKeyDictionary()


def lane_book(conn: Connection) -> dict[Lane, LaneNorm]:
    key = conn.engine
    cached = _books.get(key)
    if cached is not None and time.monotonic() - cached[0] < BOOK_TTL_SECONDS:
        return cached[1]
    book = {
        Lane(r.carrier, r.origin, r.destination): LaneNorm(r.parcels, r.median_hours, r.p90_hours)
        for r in conn.execute(select(lane_stats))
    }
    _books[key] = (time.monotonic(), book)
    return book


def forget_lane_books() -> None:
    _books.clear()


def _deliveries(conn: Connection, since: datetime) -> Iterator[tuple[Lane, float]]:
    """(lane, hours) of the parcels delivered since `since`, a batch at a time (keyset on tracking_no)."""
    s = parcel_state
    last = ""
    while True:
        rows = conn.execute(
            select(s.c.tracking_no, s.c.carrier, s.c.pickup_at, s.c.delivered_at)
            .where(s.c.delivered_at >= since, s.c.pickup_at.is_not(None), s.c.tracking_no > last)
            .order_by(s.c.tracking_no)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last = rows[-1].tracking_no
        lanes = lanes_of(conn, [r.tracking_no for r in rows])
        for r in rows:
            hours = (r.delivered_at - r.pickup_at).total_seconds() / 3600
            if hours >= 0:
                origin, destination = lanes.get(r.tracking_no, ("", ""))
                yield Lane(r.carrier, origin, destination), hours


def refresh_lanes(engine: Engine, now: datetime, days: int = 60) -> int:
    """Re-measure every lane from the deliveries of the last `days`; returns how many lanes are known."""
    with engine.begin() as conn:
        norms = lane_norms(_deliveries(conn, now - timedelta(days=days)))
        conn.execute(delete(lane_stats))
        rows: list[dict[str, Any]] = [
            {
                "carrier": lane.carrier,
                "origin": lane.origin,
                "destination": lane.destination,
                "parcels": norm.parcels,
                "median_hours": norm.median_hours,
                "p90_hours": norm.p90_hours,
                "refreshed_at": now,
            }
            for lane, norm in norms.items()
        ]
        insert_rows(conn, lane_stats, rows)
    forget_lane_books()
    return len(norms)
