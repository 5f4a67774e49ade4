"""Kuaidi100 subscriptions: new parcels (those we shipped, and those another area follows:
lanshou.tracking.followed) are subscribed for pushes, and a parcel whose watch Kuaidi100 aborted
("3天查询无记录" / "60天无变化", no corrected company) is subscribed again once its `resubscribe_at` has
come (half an hour later, as Kuaidi100 asks).

Configuration (environment): LANSHOU_KUAIDI100_KEY, LANSHOU_KUAIDI100_SALT and
LANSHOU_KUAIDI100_CALLBACK_URL (the public URL of POST /api/v1/tracking/push/kuaidi100).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, Select, false, or_, select

from lanshou.carriers.kuaidi100.client import Kuaidi100Tracking
from lanshou.db.bulk import upsert
from lanshou.tracking.followed import Tracked, first_due
from lanshou.tracking.tables import parcel_state, tracking_subscriptions

CALLBACK_ENV = "LANSHOU_KUAIDI100_CALLBACK_URL"
RETRY_AFTER_FAILURE = timedelta(hours=1)
LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class SubscribeSettings:
    callback_url: str
    salt: str

    @classmethod
    def from_environment(cls) -> SubscribeSettings | None:
        url, salt = os.environ.get(CALLBACK_ENV, ""), os.environ.get("LANSHOU_KUAIDI100_SALT", "")
        return cls(url, salt) if url and salt else None


def due_for_subscription(engine: Engine, now: datetime, limit: int) -> list[tuple[str, str]]:
    """Unfinished parcels shipped (or followed, lanshou.tracking.followed) lately that have no
    subscription yet, or an aborted one now due."""
    return first_due(engine, lambda source: _due_query(source, now, limit), lambda r: r.tracking_no, limit)


def _due_query(source: Tracked, now: datetime, limit: int) -> Select[str, str]:
    st, sub = parcel_state, tracking_subscriptions
    number = source.tracking_no
    return (
        select(number.label("tracking_no"), source.carrier.label("carrier"))
        .select_from(
            source.source.outerjoin(st, st.c.tracking_no == number).outerjoin(
                sub, sub.c.tracking_no == number
            )
        )
        .where(
            or_(source.since.is_(None), source.since >= now - timedelta(days=LOOKBACK_DAYS)),
            or_(st.c.finished.is_(None), st.c.finished == false()),
            or_(sub.c.tracking_no.is_(None), sub.c.resubscribe_at <= now),
        )
        .order_by(number)
        .limit(limit)
    )


def subscribe_parcels(
    engine: Engine,
    client: Kuaidi100Tracking,
    settings: SubscribeSettings,
    due: list[tuple[str, str]],
    now: datetime,
) -> int:
    """Subscribe each; returns how many Kuaidi100 took (a refusal is kept with its message, retried later)."""
    rows = []
    taken = 0
    for number, carrier in due:
        outcome = client.subscribe(carrier, number, settings.callback_url, settings.salt)
        taken += outcome.ok
        rows.append(
            {
                "tracking_no": number,
                "carrier": carrier,
                "provider": "kuaidi100",
                "state": "subscribed" if outcome.ok else "refused",
                "message": outcome.message[:1000],
                "resubscribe_at": None if outcome.ok else now + RETRY_AFTER_FAILURE,
                "updated_at": now,
            }
        )
    with engine.begin() as conn:
        columns = list(rows[0]) if rows else []
        upsert(conn, tracking_subscriptions, rows, columns[:1], columns[1:])
    return taken
