"""`tracking eta-accuracy`: the ETAs given at pickup against the actual deliveries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from lanshou.tracking.eta import EtaOutcome, accuracy
from lanshou.tracking.tables import parcel_state


def _outcomes(
    conn: Connection, since: datetime, until: datetime, carrier: str | None
) -> Iterator[EtaOutcome]:
    s = parcel_state
    query = select(s.c.carrier, s.c.pickup_eta, s.c.delivered_at).where(
        s.c.delivered_at >= since, s.c.delivered_at < until, s.c.pickup_eta.is_not(None)
    )
    if carrier:
        query = query.where(s.c.carrier == carrier)
    for row in conn.execute(query.execution_options(yield_per=5000)):
        yield EtaOutcome(row.carrier, row.pickup_eta, row.delivered_at)


def eta_accuracy(
    engine: Engine, since: datetime, until: datetime, carrier: str | None = None
) -> dict[str, Any]:
    """Parcels delivered in [since, until) (naive UTC) that had an ETA at pickup."""
    with engine.connect() as conn:
        summary = accuracy(_outcomes(conn, since, until, carrier))
    return {"since": since.isoformat(), "until": until.isoformat(), **summary}
